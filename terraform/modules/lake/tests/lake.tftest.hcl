# Plan-only tests with the shared mock of the AWS provider (terraform/mocks/aws): no credentials, no network.
mock_provider "aws" {
  source = "../../mocks/aws" # account 111122223333, eu-west-1, plan-time KMS key ARN and EKS OIDC issuer
}

variables {
  name_prefix = "acme-hdp-test"
}

run "defaults" {
  command = plan

  # --- lifecycle ---------------------------------------------------------------------------------------
  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.this["bronze"].rule : r.expiration[0].days if r.id == "expire-current"]) == 365
    error_message = "bronze must expire after 365 days"
  }
  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.this["silver"].rule : r.expiration[0].days if r.id == "expire-current"]) == 730
    error_message = "silver must expire after 730 days"
  }
  assert {
    condition     = length([for r in aws_s3_bucket_lifecycle_configuration.this["gold"].rule : r if r.id == "expire-current"]) == 0
    error_message = "gold keeps current objects by default (gold_expiration_days = null)"
  }
  assert {
    condition = alltrue([for k, lc in aws_s3_bucket_lifecycle_configuration.this : anytrue([
      for r in lc.rule : try(r.noncurrent_version_expiration[0].noncurrent_days == 30 && r.abort_incomplete_multipart_upload[0].days_after_initiation == 7, false)
    ])])
    error_message = "every lake bucket must clean up noncurrent versions and incomplete multipart uploads"
  }
  assert {
    condition = anytrue([for r in aws_s3_bucket_lifecycle_configuration.this["spark-logs"].rule :
    try(r.filter[0].prefix == "spark-decommission/" && r.expiration[0].days == 1, false)])
    error_message = "spark-decommission/ fallback storage must expire after 1 day"
  }
  assert {
    condition     = anytrue([for r in aws_s3_bucket_lifecycle_configuration.access_logs.rule : r.id == "cleanup"])
    error_message = "the access-log bucket must clean up noncurrent versions too"
  }

  # --- buckets -----------------------------------------------------------------------------------------
  assert {
    condition     = toset(keys(aws_s3_bucket.this)) == toset(["landing", "bronze", "silver", "gold", "control", "spark-logs", "dq-docs"])
    error_message = "one bucket per layer plus landing, control, spark-logs and dq-docs"
  }
  assert {
    condition     = length([for r in aws_s3_bucket_lifecycle_configuration.this["control"].rule : r if r.id == "expire-current"]) == 0
    error_message = "the control state (watermarks, manifests, leases) must never expire"
  }
  assert {
    condition     = aws_s3_bucket.this["bronze"].bucket == "acme-hdp-test-bronze"
    error_message = "bucket names are <name_prefix>-<key>"
  }

  # --- encryption --------------------------------------------------------------------------------------
  assert {
    condition = alltrue([for k, e in aws_s3_bucket_server_side_encryption_configuration.this :
      one(e.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && one(e.rule).bucket_key_enabled == true
    ])
    error_message = "every lake bucket must use SSE-KMS with bucket keys"
  }
  assert {
    condition     = aws_kms_key.lake.enable_key_rotation == true
    error_message = "the lake KMS key must rotate"
  }
  assert {
    condition     = alltrue([for k, v in aws_s3_bucket_versioning.this : v.versioning_configuration[0].status == "Enabled"])
    error_message = "versioning must be enabled on every lake bucket"
  }

  # --- no public access --------------------------------------------------------------------------------
  assert {
    condition = alltrue([for k, p in merge(aws_s3_bucket_public_access_block.this, { access-logs = aws_s3_bucket_public_access_block.access_logs }) :
    p.block_public_acls && p.block_public_policy && p.ignore_public_acls && p.restrict_public_buckets])
    error_message = "public access must be blocked on every bucket"
  }
  assert {
    condition = alltrue([for k, p in aws_s3_bucket_policy.this : anytrue([
      for s in jsondecode(p.policy).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
    ])])
    error_message = "every lake bucket policy must deny non-TLS requests"
  }
  assert {
    condition = anytrue([for s in jsondecode(aws_s3_bucket_policy.this["control"].policy).Statement : try(
      s.Effect == "Deny" && s.Principal == "*" && contains(s.Action, "s3:DeleteObject")
      && contains(s.Action, "s3:DeleteObjectVersion") && endswith(s.Resource, "/audit/*"),
    false)])
    error_message = "nobody may delete audit events (control/audit/*) or their versions"
  }
  assert {
    condition     = anytrue([for s in jsondecode(aws_s3_bucket_policy.access_logs.policy).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"])
    error_message = "the access-log bucket policy must deny non-TLS requests"
  }
  assert {
    condition     = alltrue([for k, l in aws_s3_bucket_logging.this : l.target_prefix == "acme-hdp-test-${k}/"])
    error_message = "every lake bucket must log access to the access-log bucket"
  }
}

run "gold_expiration_configurable" {
  command = plan

  variables {
    gold_expiration_days = 1825
  }

  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.this["gold"].rule : r.expiration[0].days if r.id == "expire-current"]) == 1825
    error_message = "gold expiration follows gold_expiration_days"
  }
}

run "rejects_bad_prefix" {
  command = plan

  variables {
    name_prefix = "Not_Valid"
  }

  expect_failures = [var.name_prefix]
}
