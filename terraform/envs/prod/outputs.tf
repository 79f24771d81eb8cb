# Re-exports of the platform module's outputs (modules/platform/outputs.tf describes them).
# `terraform output -json helm_values` is the values overlay of helm/hdp/values-eks.yaml.
output "helm_values" {
  description = "Values for the Helm chart on EKS, shaped like helm/hdp/values-eks.yaml."
  value       = module.platform.helm_values
}

output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.platform.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.platform.cluster_endpoint
}

output "redshift_master_password_secret_arn" {
  description = "Secrets Manager secret with the generated Redshift admin password."
  value       = module.platform.redshift_master_password_secret_arn
}

output "nat_public_ips" {
  description = "Egress IPs of the VPC (for allow-lists at the sources)."
  value       = module.platform.nat_public_ips
}

output "cloudtrail_bucket" {
  description = "Bucket with the CloudTrail log files."
  value       = module.platform.cloudtrail_bucket
}
