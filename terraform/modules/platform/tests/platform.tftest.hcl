# Plans the whole platform (all modules wired together) with the shared mock of the AWS provider.
mock_provider "aws" {
  source = "../../mocks/aws"
}

variables {
  environment        = "dev"
  region             = "eu-west-1"
  azs                = ["eu-west-1a", "eu-west-1b"]
  bucket_prefix      = "acme-hdp-test"
  vpc_cidr           = "10.40.0.0/16"
  kubernetes_version = "1.33"
  node_groups = {
    system         = { instance_types = ["m6i.large"], min_size = 1, max_size = 2, desired_size = 1 }
    spark_driver   = { instance_types = ["m6i.large"], min_size = 0, max_size = 1, desired_size = 0 }
    spark_executor = { instance_types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge"], min_size = 0, max_size = 2, desired_size = 0 }
  }
  redshift_number_of_nodes = 1
}

run "composition" {
  command = plan

  assert {
    condition     = output.helm_values.environment == var.environment && output.default_tags["hdp.io/environment"] == var.environment
    error_message = "helm_values.environment and the default tags follow the environment"
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
    condition     = module.warehouse.pause_resume_enabled && output.redshift_pause_resume_enabled
    error_message = "Redshift is paused and resumed outside prod"
  }
  assert {
    condition     = module.eks.node_groups["spark-executor"].capacity_type == "SPOT"
    error_message = "executors run on spot"
  }
  assert {
    condition     = length(module.network.nat_public_ips) == 2
    error_message = "the production-safe default is one NAT gateway per AZ"
  }
}

run "prod_is_never_paused" {
  command = plan

  variables {
    environment = "prod"
  }

  assert {
    condition     = !module.warehouse.pause_resume_enabled && !output.redshift_pause_resume_enabled
    error_message = "Redshift pause/resume never exists in prod"
  }
  assert {
    condition     = output.helm_values.environment == "prod"
    error_message = "helm_values.environment follows the environment"
  }
}

run "node_group_keys_are_checked" {
  command = plan

  variables {
    node_groups = {
      system = { instance_types = ["m6i.large"], min_size = 1, max_size = 2, desired_size = 1 }
    }
  }

  expect_failures = [var.node_groups]
}
