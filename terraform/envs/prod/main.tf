# Production: three AZs with a NAT gateway each, bigger node groups, Redshift with two nodes and never
# paused. It relies on the platform module's production-safe defaults: NAT per AZ, all interface
# endpoints, 35 days of Redshift snapshots and a final snapshot, buckets never force-destroyed, gold kept.

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

  environment   = "prod"
  region        = local.region
  azs           = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  bucket_prefix = "acme-hdp-prod"
  vpc_cidr      = "10.41.0.0/16"

  kubernetes_version = "1.33"
  node_groups = {
    system       = { instance_types = ["m6i.large"], min_size = 2, max_size = 4, desired_size = 3 }
    spark_driver = { instance_types = ["m6i.large"], min_size = 1, max_size = 4, desired_size = 1 }
    spark_executor = {
      instance_types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m5a.xlarge", "m7i.xlarge", "m7a.xlarge", "r6i.xlarge"]
      min_size       = 0
      max_size       = 20
      desired_size   = 0
    }
  }

  redshift_node_type       = "ra3.xlplus"
  redshift_number_of_nodes = 2
}
