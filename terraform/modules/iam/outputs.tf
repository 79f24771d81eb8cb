output "role_arns" {
  description = "IRSA role ARN per workload (extract, transform, load, airflow, history-server): the eks.amazonaws.com/role-arn annotations."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "role_names" {
  description = "IRSA role name per workload."
  value       = { for k, r in aws_iam_role.this : k => r.name }
}

output "policies" {
  description = "Inline policy document (as an object) per workload, for review and tests."
  value       = local.policies
}

output "service_account_subjects" {
  description = "OIDC sub claims (system:serviceaccount:<ns>:<sa>) allowed per workload."
  value       = { for k, p in local.trust_policies : k => p.Statement[0].Condition.StringEquals["${var.oidc_issuer}:sub"] }
}
