# Development: small and cheap. Everything that differs from prod is an argument below; the platform
# module's defaults are the production-safe choices (see modules/platform/variables.tf).

locals {
  region = "eu-west-1"
}

provider "aws" {
  region = local.region

  default_tags {
    tags = module.platform.default_tags
  }
}

module "platform" {
  source = "../../modules/platform"

  environment   = "dev"
  region        = local.region
  azs           = ["eu-west-1a", "eu-west-1b"]
  bucket_prefix = "acme-hdp-dev"
  vpc_cidr      = "10.40.0.0/16"

  # Cost savers (prod keeps the defaults): one NAT, and only the interface endpoints IRSA, image pulls,
  # logs and the jobs need (~8 USD/month per AZ each); the rest goes through the NAT.
  single_nat_gateway  = true
  interface_endpoints = ["sts", "ecr.api", "ecr.dkr", "logs", "kms", "secretsmanager"]

  # EKS with a private API endpoint only (the default); reach it through the VPN / SSM.
  kubernetes_version = "1.33"
  node_groups = {
    system       = { instance_types = ["m6i.large"], min_size = 1, max_size = 3, desired_size = 2 }
    spark_driver = { instance_types = ["m6i.large"], min_size = 0, max_size = 2, desired_size = 1 }
    spark_executor = {
      instance_types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m5a.xlarge", "m7i.xlarge"]
      min_size       = 0
      max_size       = 4
      desired_size   = 0
    }
  }

  # Redshift: one node, paused nights and weekends (automatic outside prod), no retained snapshots.
  redshift_node_type               = "ra3.xlplus"
  redshift_number_of_nodes         = 1
  redshift_snapshot_retention_days = 1
  redshift_skip_final_snapshot     = true

  gold_expiration_days  = 365
  force_destroy_buckets = true
}
