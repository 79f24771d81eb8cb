output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint (private unless endpoint_public_access)."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA bundle of the API server."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_security_group_id" {
  description = "Security group EKS attaches to the control plane and the managed nodes (allow it at Redshift)."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider for IRSA."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer" {
  description = "OIDC issuer host and path without https:// (the prefix of the :sub/:aud condition keys)."
  value       = replace(local.oidc_issuer_url, "https://", "")
}

output "kms_key_arn" {
  description = "KMS key encrypting Kubernetes secrets, control-plane logs and node volumes."
  value       = aws_kms_key.this.arn
}

output "node_role_arn" {
  description = "IAM role of the managed nodes."
  value       = aws_iam_role.node.arn
}

output "node_groups" {
  description = "Per node group: capacity type, instance types, Kubernetes labels and taints."
  value = {
    for k, v in local.node_groups : k => {
      capacity_type  = v.capacity_type
      instance_types = v.config.instance_types
      labels         = v.labels
      taints         = v.taints
    }
  }
}

output "spark_node_selectors" {
  description = "nodeSelector and tolerations for Spark drivers and executors (what the Helm chart puts in the SparkApplications)."
  value = {
    driver = {
      nodeSelector = local.node_groups["spark-driver"].labels
      tolerations  = []
    }
    executor = {
      nodeSelector = local.node_groups["spark-executor"].labels
      tolerations  = [{ key = local.capacity_label, operator = "Equal", value = "spot", effect = "NoSchedule" }]
    }
  }
}
