output "bucket_names" {
  description = "Bucket name per key: landing, bronze, silver, gold, control, spark-logs, dq-docs, access-logs."
  value       = merge({ for k, b in aws_s3_bucket.this : k => b.bucket }, { access-logs = aws_s3_bucket.access_logs.bucket })
}

output "bucket_arns" {
  description = "Bucket ARN per key (same keys as bucket_names)."
  value       = merge({ for k, b in aws_s3_bucket.this : k => b.arn }, { access-logs = aws_s3_bucket.access_logs.arn })
}

output "phi_bucket_keys" {
  description = "Keys of the buckets that hold PHI (audited with CloudTrail data events)."
  value       = sort([for k, v in local.buckets : k if v.phi])
}

output "kms_key_arn" {
  description = "KMS key of the lake buckets (workloads need kms:Decrypt and kms:GenerateDataKey on it)."
  value       = aws_kms_key.lake.arn
}

output "access_logs_bucket" {
  description = "Name of the S3 server access log bucket (also the target for other modules' buckets)."
  value       = aws_s3_bucket.access_logs.bucket
}

output "event_log_prefix" {
  description = "Prefix of the Spark event logs in the spark-logs bucket."
  value       = local.event_log_prefix
}

output "decommission_prefix" {
  description = "Prefix of Spark decommission fallback storage in the spark-logs bucket (expires after decommission_expiration_days)."
  value       = local.decommission_prefix
}

output "airflow_log_prefix" {
  description = "Prefix of Airflow remote task logs in the spark-logs bucket."
  value       = local.airflow_log_prefix
}

output "expiration_days" {
  description = "Expiration (days) of current objects per bucket key; null = never."
  value       = merge({ for k, v in local.buckets : k => v.expiration }, { access-logs = var.access_log_expiration_days })
}
