# Plan-only tests with the shared mock of the AWS provider (terraform/mocks/aws).
mock_provider "aws" {
  source = "../../mocks/aws" # account 111122223333, eu-west-1, plan-time KMS key ARN and EKS OIDC issuer
}

variables {
  name        = "hdp-test"
  bucket_name = "acme-hdp-test-cloudtrail"
  data_event_bucket_arns = [
    "arn:aws:s3:::acme-hdp-test-landing",
    "arn:aws:s3:::acme-hdp-test-bronze",
    "arn:aws:s3:::acme-hdp-test-silver",
  ]
  access_logs_bucket = "acme-hdp-test-access-logs"
}

run "trail" {
  command = plan

  assert {
    condition     = aws_cloudtrail.this.enable_log_file_validation == true
    error_message = "log file validation must be on"
  }
  assert {
    condition     = aws_cloudtrail.this.is_multi_region_trail && aws_cloudtrail.this.include_global_service_events
    error_message = "the trail covers all regions and global services"
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the trail KMS key must rotate"
  }
  assert {
    condition = anytrue([for s in aws_cloudtrail.this.advanced_event_selector :
      anytrue([for f in s.field_selector : f.field == "resources.ARN" && toset(f.starts_with) == toset([
        "arn:aws:s3:::acme-hdp-test-landing/", "arn:aws:s3:::acme-hdp-test-bronze/", "arn:aws:s3:::acme-hdp-test-silver/",
      ])])
    ])
    error_message = "S3 data events are recorded for exactly the PHI buckets"
  }
  assert {
    condition     = anytrue([for s in aws_cloudtrail.this.advanced_event_selector : anytrue([for f in s.field_selector : f.field == "eventCategory" && f.equals == tolist(["Management"])])])
    error_message = "management events are recorded"
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.trail.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "the trail bucket uses SSE-KMS"
  }
  assert {
    condition = (aws_s3_bucket_public_access_block.trail.block_public_acls && aws_s3_bucket_public_access_block.trail.block_public_policy &&
    aws_s3_bucket_public_access_block.trail.ignore_public_acls && aws_s3_bucket_public_access_block.trail.restrict_public_buckets)
    error_message = "the trail bucket blocks public access"
  }
  assert {
    condition     = anytrue([for s in jsondecode(aws_s3_bucket_policy.trail.policy).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"])
    error_message = "the trail bucket denies non-TLS requests"
  }
}
