data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Well-known prefixes inside the spark-logs bucket.
  event_log_prefix    = "events/"
  decommission_prefix = "spark-decommission/"
  airflow_log_prefix  = "airflow/"

  # Every KMS-encrypted bucket: what it holds, whether it holds PHI, when current objects expire.
  buckets = {
    landing = {
      purpose    = "Lab result CSV drops waiting for ingestion"
      phi        = true
      expiration = var.landing_expiration_days
    }
    bronze = {
      purpose    = "Raw source rows plus ingestion metadata"
      phi        = true
      expiration = var.bronze_expiration_days
    }
    silver = {
      purpose    = "Typed, validated, de-duplicated data and quarantine (restricted zone)"
      phi        = true
      expiration = var.silver_expiration_days
    }
    gold = {
      purpose    = "De-identified dimensional model and KPIs"
      phi        = false
      expiration = var.gold_expiration_days
    }
    spark-logs = {
      purpose    = "Spark event logs, Spark decommission fallback storage, Airflow task logs"
      phi        = false
      expiration = var.spark_event_log_expiration_days
    }
    dq-docs = {
      purpose    = "Data-quality results and Great Expectations data docs"
      phi        = false
      expiration = var.dq_docs_expiration_days
    }
    # The pipeline's own state: extract log (watermarks), lab file ledger, run manifests, leases and the
    # Redshift COPY manifests. No PHI (names, hashes, counts); current objects never expire: a lost
    # watermark or manifest would make the next run re-extract or refuse its batch.
    control = {
      purpose    = "Pipeline control state: extract log, lab file ledger, run manifests, leases, COPY manifests"
      phi        = false
      expiration = null
    }
  }

  # Extra rules keyed by bucket: short-lived prefixes.
  prefix_rules = {
    spark-logs = [{ id = "expire-spark-decommission", prefix = local.decommission_prefix, days = var.decommission_expiration_days }]
  }

  bucket_names = merge(
    { for k, _ in local.buckets : k => "${var.name_prefix}-${k}" },
    { access-logs = "${var.name_prefix}-access-logs" },
  )

  tls_deny_statements = {
    for k, name in local.bucket_names : k => [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:${local.partition}:s3:::${name}", "arn:${local.partition}:s3:::${name}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyOutdatedTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:${local.partition}:s3:::${name}", "arn:${local.partition}:s3:::${name}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
    ]
  }
}

# --- encryption key -------------------------------------------------------------------------------------

module "key_policy" {
  source = "../kms-key-policy"
}

resource "aws_kms_key" "lake" {
  description             = "${var.name_prefix}: SSE-KMS for the data lake buckets"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days

  # Only the account administrators manage the key; workloads get kms:Decrypt/GenerateDataKey through
  # their own IAM policies (modules/iam), which the root statement delegates to.
  policy = module.key_policy.json

  tags = var.tags
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${var.name_prefix}-lake"
  target_key_id = aws_kms_key.lake.key_id
}

# --- access logs bucket (target of S3 server access logging) --------------------------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target bucket; logging it into itself would loop.
  #checkov:skip=CKV_AWS_144:Cross-region replication is out of scope (single-region platform; see terraform/README.md).
  #checkov:skip=CKV2_AWS_62:No event consumers for access logs; notifications would be noise.
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to SSE-S3 buckets, not SSE-KMS (AWS limitation).
  bucket        = local.bucket_names["access-logs"]
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { "hdp.io/bucket" = "access-logs", "hdp.io/phi" = "false" })
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256" # the only encryption S3 server access logging supports
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(local.tls_deny_statements["access-logs"], [{
      Sid       = "S3ServerAccessLogsDelivery"
      Effect    = "Allow"
      Principal = { Service = "logging.s3.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "arn:${local.partition}:s3:::${local.bucket_names["access-logs"]}/*"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = [for k, _ in local.buckets : "arn:${local.partition}:s3:::${local.bucket_names[k]}"] }
      }
    }])
  })

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-current"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_log_expiration_days
    }
  }

  rule {
    id     = "cleanup"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

# --- lake buckets ---------------------------------------------------------------------------------------

resource "aws_s3_bucket" "this" {
  for_each = local.buckets
  #checkov:skip=CKV_AWS_144:Cross-region replication is out of scope (single-region platform; see terraform/README.md).
  #checkov:skip=CKV2_AWS_62:The pipeline is scheduled by Airflow, not driven by S3 event notifications.

  bucket        = local.bucket_names[each.key]
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { "hdp.io/bucket" = each.key, "hdp.io/phi" = tostring(each.value.phi) })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs disabled
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.lake.arn
    }
    bucket_key_enabled = true # one data key per bucket and time window: far fewer KMS calls from Spark
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(local.tls_deny_statements[each.key], [
      {
        # Objects must be encrypted with KMS: a client asking for SSE-S3 (AES256) is refused.
        Sid       = "DenyNonKmsEncryption"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "arn:${local.partition}:s3:::${local.bucket_names[each.key]}/*"
        Condition = {
          StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption" = "aws:kms" }
        }
      },
      {
        # ... and with the lake key, not another one.
        Sid       = "DenyWrongKmsKey"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "arn:${local.partition}:s3:::${local.bucket_names[each.key]}/*"
        Condition = {
          StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = aws_kms_key.lake.arn }
        }
      },
      ], each.key != "control" ? [] : [
      {
        # The audit log (control/audit/, one object per event, written once) is append-only: nobody
        # deletes an event or a version of one. Versioning keeps any overwrite; only the lifecycle
        # rule, which bucket policies do not govern, expires events after the retention period.
        Sid       = "DenyAuditLogDeletion"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold"]
        Resource  = "arn:${local.partition}:s3:::${local.bucket_names[each.key]}/audit/*"
      },
    ])
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${local.bucket_names[each.key]}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  dynamic "rule" {
    # No rule when expiration is null. A filter rather than `x == null ? [] : [x]`: checkov cannot render
    # that conditional when the value is null and then reports CKV_AWS_300 on the whole configuration.
    for_each = [for days in [each.value.expiration] : days if days != null]
    content {
      id     = "expire-current"
      status = "Enabled"
      filter {}
      expiration {
        days = rule.value
      }
    }
  }

  dynamic "rule" {
    for_each = lookup(local.prefix_rules, each.key, [])
    content {
      id     = rule.value.id
      status = "Enabled"
      filter {
        prefix = rule.value.prefix
      }
      expiration {
        days = rule.value.days
      }
    }
  }

  rule {
    id     = "cleanup"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
