output "trail_arn" {
  description = "ARN of the CloudTrail trail."
  value       = aws_cloudtrail.this.arn
}

output "bucket_name" {
  description = "Bucket holding the CloudTrail log files."
  value       = aws_s3_bucket.trail.bucket
}

output "kms_key_arn" {
  description = "KMS key encrypting the trail."
  value       = aws_kms_key.this.arn
}

output "log_group_name" {
  description = "CloudWatch Logs group receiving the trail."
  value       = aws_cloudwatch_log_group.trail.name
}

output "data_event_prefixes" {
  description = "Object ARN prefixes whose data events are recorded."
  value       = local.data_event_prefixes
}
