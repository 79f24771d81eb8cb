output "json" {
  description = "The key policy as JSON, for aws_kms_key.policy."
  value       = jsonencode(local.document)
}

output "document" {
  description = "The key policy as an object (for tests and assertions)."
  value       = local.document
}
