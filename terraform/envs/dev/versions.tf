terraform {
  required_version = ">= 1.10.0" # S3 backend native locking (use_lockfile)

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # State bucket is created once per account (see terraform/README.md "Backend bootstrap").
  # Offline checks run `terraform init -backend=false`.
  backend "s3" {
    bucket       = "acme-hdp-terraform-state"
    key          = "hdp/dev/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true # S3 conditional-write lock file, no DynamoDB table
  }
}
