# Production: NAT per AZ, three AZs, bigger node groups, Redshift never paused, snapshots kept.
environment   = "prod"
region        = "eu-west-1"
azs           = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
bucket_prefix = "acme-hdp-prod"
vpc_cidr      = "10.41.0.0/16"

single_nat_gateway = false
kubernetes_version = "1.33"

endpoint_public_access = false

node_groups = {
  system = {
    instance_types = ["m6i.large"]
    min_size       = 2
    max_size       = 4
    desired_size   = 3
  }
  spark_driver = {
    instance_types = ["m6i.large"]
    min_size       = 1
    max_size       = 4
    desired_size   = 1
  }
  spark_executor = {
    instance_types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m5a.xlarge", "m7i.xlarge", "m7a.xlarge", "r6i.xlarge"]
    min_size       = 0
    max_size       = 20
    desired_size   = 0
  }
}

redshift_node_type               = "ra3.xlplus"
redshift_number_of_nodes         = 2
redshift_snapshot_retention_days = 35
redshift_skip_final_snapshot     = false

gold_expiration_days  = null # keep the de-identified model
force_destroy_buckets = false
