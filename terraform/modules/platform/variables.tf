# Defaults are the production-safe choices (NAT per AZ, 35 days of snapshots, final snapshot kept, buckets
# never force-destroyed, gold kept): an environment states its sizing and only the safeguards it relaxes.

variable "environment" {
  description = "Environment name: part of every resource name, and prod disables Redshift pause/resume."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "azs" {
  description = "Availability zones used by the VPC, EKS and Redshift (at least two)."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2
    error_message = "azs must list at least two availability zones."
  }
}

variable "bucket_prefix" {
  description = "Globally unique prefix of the bucket names (organisation + platform + environment, e.g. acme-hdp-dev)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,45}$", var.bucket_prefix))
    error_message = "bucket_prefix must be 3-46 lowercase letters, digits or '-'."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the environment's VPC (/16)."
  type        = string
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per AZ (cheaper, not highly available)."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "AWS services with interface VPC endpoints (each costs per AZ-hour); null = the network module's full default list."
  type        = list(string)
  default     = null
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version."
  type        = string
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API publicly (restricted to public_access_cidrs)."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach a public Kubernetes API endpoint."
  type        = list(string)
  default     = []
}

variable "cluster_admin_principal_arns" {
  description = "IAM principals with cluster-admin access entries (platform team SSO role, CI deploy role)."
  type        = list(string)
  default     = []
}

variable "node_groups" {
  description = "Sizes of the system (on-demand), spark_driver (on-demand) and spark_executor (spot) node groups."
  type = map(object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
  }))

  validation {
    condition     = toset(keys(var.node_groups)) == toset(["system", "spark_driver", "spark_executor"])
    error_message = "node_groups must have exactly the keys system, spark_driver and spark_executor."
  }
}

variable "gold_expiration_days" {
  description = "Expiration of gold objects in days; null keeps them."
  type        = number
  default     = null
}

variable "redshift_node_type" {
  description = "Redshift RA3 node type."
  type        = string
  default     = "ra3.xlplus"
}

variable "redshift_number_of_nodes" {
  description = "Number of Redshift nodes."
  type        = number
}

variable "redshift_snapshot_retention_days" {
  description = "Days of automated Redshift snapshots."
  type        = number
  default     = 35
}

variable "redshift_skip_final_snapshot" {
  description = "Skip the final Redshift snapshot on destroy."
  type        = bool
  default     = false
}

variable "redshift_allowed_cidr_blocks" {
  description = "Private CIDRs (VPN, BI tools) allowed to connect to Redshift besides the EKS nodes."
  type        = list(string)
  default     = []
}

variable "source_secret_arns" {
  description = "Secrets Manager secrets the extract job reads (source database DSN, pharmacy API token)."
  type        = list(string)
  default     = []
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete non-empty buckets (never in prod)."
  type        = bool
  default     = false
}

variable "k8s_namespace" {
  description = "Namespace of the platform chart (job and history-server service accounts)."
  type        = string
  default     = "hdp"
}

variable "airflow_namespace" {
  description = "Namespace of the Airflow release."
  type        = string
  default     = "airflow"
}
