# Data-only module: the key policy shared by the platform's customer-managed KMS keys. It creates no
# resources (the keys stay in the modules that use them), so adopting it moved nothing in the state.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # The account administrators manage the key; workloads get kms:Decrypt/GenerateDataKey through their
  # own IAM policies, which this root statement delegates to.
  administration = [{
    Sid       = "AccountAdministration"
    Effect    = "Allow"
    Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
    Action    = "kms:*"
    Resource  = "*"
  }]

  # CloudWatch Logs encrypts only the named log group(s) of this account and region with the key.
  cloudwatch_logs = var.cloudwatch_log_group == null ? [] : [{
    Sid       = "CloudWatchLogs"
    Effect    = "Allow"
    Principal = { Service = "logs.${local.region}.amazonaws.com" }
    Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    Resource  = "*"
    Condition = {
      ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${var.cloudwatch_log_group}" }
    }
  }]

  document = {
    Version   = "2012-10-17"
    Statement = concat(local.administration, var.extra_statements, local.cloudwatch_logs)
  }
}
