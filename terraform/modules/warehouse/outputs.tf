output "cluster_identifier" {
  description = "Redshift cluster identifier."
  value       = aws_redshift_cluster.this.cluster_identifier
}

output "cluster_arn" {
  description = "ARN of the Redshift cluster."
  value       = aws_redshift_cluster.this.arn
}

output "endpoint" {
  description = "Private DNS name of the cluster (no port)."
  value       = aws_redshift_cluster.this.dns_name
}

output "port" {
  description = "Port of the cluster."
  value       = local.port
}

output "database_name" {
  description = "Database created with the cluster."
  value       = var.database_name
}

output "loader_db_user" {
  description = "Database user the load job gets temporary IAM credentials for."
  value       = var.loader_db_user
}

output "master_password_secret_arn" {
  description = "Secrets Manager secret holding the generated admin password."
  value       = aws_redshift_cluster.this.master_password_secret_arn
}

output "copy_role_arn" {
  description = "IAM role Redshift assumes for COPY from the gold bucket (also the cluster's default role)."
  value       = aws_iam_role.copy.arn
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}

output "kms_key_arn" {
  description = "KMS key encrypting the cluster, its admin secret and its audit logs."
  value       = aws_kms_key.this.arn
}

output "pause_resume_enabled" {
  description = "Whether scheduled pause/resume actions exist (never in prod)."
  value       = local.pause_resume_enabled
}

output "copy_policy_json" {
  description = "The COPY role's policy document (for review)."
  value       = jsonencode(local.copy_policy)
}
