# Plans the whole environment (all modules wired together) with a mocked AWS provider and the
# environment's own terraform.tfvars.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_resource "aws_eks_cluster" {
    override_during = plan
    defaults = {
      identity              = [{ oidc = [{ issuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" }] }]
      certificate_authority = [{ data = "LS0tLS1CRUdJTi0tLS0t" }]
    }
  }
  mock_resource "aws_s3_bucket" {
    override_during = plan
    defaults        = { arn = "arn:aws:s3:::mocked-bucket" }
  }
}

run "composition" {
  command = plan

  assert {
    condition     = output.helm_values.environment == var.environment
    error_message = "helm_values.environment follows the environment"
  }
  assert {
    condition     = output.helm_values.lake.buckets.bronze == "${var.bucket_prefix}-bronze" && output.helm_values.spark.eventLog.bucket == "${var.bucket_prefix}-spark-logs"
    error_message = "helm_values name the environment's buckets"
  }
  assert {
    condition     = output.helm_values.warehouse.port == 5439 && output.helm_values.warehouse.database == "hdp"
    error_message = "helm_values carry the Redshift port and database"
  }
  assert {
    condition     = module.warehouse.pause_resume_enabled == (var.environment != "prod")
    error_message = "Redshift pause/resume exists exactly outside prod"
  }
  assert {
    condition     = module.eks.node_groups["spark-executor"].capacity_type == "SPOT"
    error_message = "executors run on spot"
  }
}
