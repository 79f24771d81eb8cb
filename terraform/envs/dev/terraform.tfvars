# Development: small, cheap, single NAT, Redshift paused nights and weekends.
environment   = "dev"
region        = "eu-west-1"
azs           = ["eu-west-1a", "eu-west-1b"]
bucket_prefix = "acme-hdp-dev"
vpc_cidr      = "10.40.0.0/16"

single_nat_gateway = true
# Interface endpoints cost ~8 USD/month per AZ each: dev keeps the ones IRSA, image pulls, logs and the
# jobs need; the rest goes through the NAT.
interface_endpoints = ["sts", "ecr.api", "ecr.dkr", "logs", "kms", "secretsmanager"]
kubernetes_version  = "1.33"

# Private API endpoint only; reach it through the VPN / SSM.
endpoint_public_access = false

node_groups = {
  system = {
    instance_types = ["m6i.large"]
    min_size       = 1
    max_size       = 3
    desired_size   = 2
  }
  spark_driver = {
    instance_types = ["m6i.large"]
    min_size       = 0
    max_size       = 2
    desired_size   = 1
  }
  spark_executor = {
    instance_types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m5a.xlarge", "m7i.xlarge"]
    min_size       = 0
    max_size       = 4
    desired_size   = 0
  }
}

redshift_node_type               = "ra3.xlplus"
redshift_number_of_nodes         = 1
redshift_snapshot_retention_days = 1
redshift_skip_final_snapshot     = true

gold_expiration_days  = 365
force_destroy_buckets = true
