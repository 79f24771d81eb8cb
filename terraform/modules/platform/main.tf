# The whole platform for one environment: the modules wired together. envs/<env>/main.tf calls this
# module with the environment's values and configures the provider (with `default_tags`) and the backend.

locals {
  name = "hdp-${var.environment}"
  tags = {
    "hdp.io/environment" = var.environment
    "hdp.io/managed-by"  = "terraform"
    "hdp.io/repository"  = "hospital-data-platform"
    "hdp.io/data-class"  = "phi"
  }
}

module "network" {
  source = "../network"

  name                = local.name
  cluster_name        = local.name
  cidr_block          = var.vpc_cidr
  azs                 = var.azs
  single_nat_gateway  = var.single_nat_gateway
  interface_endpoints = var.interface_endpoints
}

module "lake" {
  source = "../lake"

  name_prefix          = var.bucket_prefix
  gold_expiration_days = var.gold_expiration_days
  force_destroy        = var.force_destroy_buckets
}

module "eks" {
  source = "../eks"

  name                         = local.name
  kubernetes_version           = var.kubernetes_version
  vpc_id                       = module.network.vpc_id
  subnet_ids                   = module.network.private_subnet_ids
  endpoint_public_access       = var.endpoint_public_access
  public_access_cidrs          = var.public_access_cidrs
  cluster_admin_principal_arns = var.cluster_admin_principal_arns
  system_node_group            = var.node_groups["system"]
  spark_driver_node_group      = var.node_groups["spark_driver"]
  spark_executor_node_group    = var.node_groups["spark_executor"]
}

module "warehouse" {
  source = "../warehouse"

  name                              = local.name
  environment                       = var.environment
  vpc_id                            = module.network.vpc_id
  vpc_cidr_block                    = module.network.vpc_cidr_block
  subnet_ids                        = module.network.database_subnet_ids
  s3_prefix_list_id                 = module.network.s3_endpoint_prefix_list_id
  allowed_security_group_ids        = [module.eks.cluster_security_group_id]
  allowed_cidr_blocks               = var.redshift_allowed_cidr_blocks
  node_type                         = var.redshift_node_type
  number_of_nodes                   = var.redshift_number_of_nodes
  automated_snapshot_retention_days = var.redshift_snapshot_retention_days
  skip_final_snapshot               = var.redshift_skip_final_snapshot
  gold_bucket_arn                   = module.lake.bucket_arns["gold"]
  manifest_bucket_arn               = module.lake.bucket_arns["control"]
  lake_kms_key_arn                  = module.lake.kms_key_arn
}

module "iam" {
  source = "../iam"

  name                   = local.name
  oidc_provider_arn      = module.eks.oidc_provider_arn
  oidc_issuer            = module.eks.oidc_issuer
  namespace              = var.k8s_namespace
  airflow_namespace      = var.airflow_namespace
  bucket_arns            = { for k, v in module.lake.bucket_arns : k => v if k != "access-logs" }
  lake_kms_key_arn       = module.lake.kms_key_arn
  event_log_prefix       = module.lake.event_log_prefix
  decommission_prefix    = module.lake.decommission_prefix
  airflow_log_prefix     = module.lake.airflow_log_prefix
  redshift_cluster_arn   = module.warehouse.cluster_arn
  redshift_database_name = module.warehouse.database_name
  loader_db_user         = module.warehouse.loader_db_user
  source_secret_arns     = var.source_secret_arns
}

module "audit" {
  source = "../audit"

  name                   = local.name
  bucket_name            = "${var.bucket_prefix}-cloudtrail"
  data_event_bucket_arns = [for k in module.lake.phi_bucket_keys : module.lake.bucket_arns[k]]
  access_logs_bucket     = module.lake.access_logs_bucket
  force_destroy          = var.force_destroy_buckets
}
