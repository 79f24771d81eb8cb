variable "name" {
  description = "EKS cluster name (also the prefix of its IAM roles, KMS key and log group)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,37}$", var.name))
    error_message = "name must be 2-38 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and the managed node groups."
  type        = string
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.(3[0-9]|2[89])$", var.kubernetes_version))
    error_message = "kubernetes_version must be a supported EKS minor version (1.28 or newer), e.g. \"1.33\"."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the control-plane ENIs and every node group (at least two AZs)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must contain at least two subnets in different AZs."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API publicly as well as privately (restricted to public_access_cidrs). Off by default."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint when endpoint_public_access is true. 0.0.0.0/0 is rejected."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "public_access_cidrs must be valid IPv4 CIDRs and must not contain 0.0.0.0/0."
  }
}

variable "cluster_admin_principal_arns" {
  description = "IAM principals (roles/users) given cluster-admin through EKS access entries (e.g. the platform team's SSO role and the CI deploy role)."
  type        = list(string)
  default     = []
}

variable "control_plane_log_retention_days" {
  description = "Days to keep the control-plane logs (api, audit, authenticator, controllerManager, scheduler)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.control_plane_log_retention_days)
    error_message = "control_plane_log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "system_node_group" {
  description = "On-demand node group for cluster add-ons, Airflow, the Spark operator and the history server."
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gb   = optional(number, 50)
  })
  default = {
    instance_types = ["m6i.large"]
    min_size       = 2
    max_size       = 4
    desired_size   = 2
  }

  validation {
    condition     = var.system_node_group.min_size >= 1 && var.system_node_group.min_size <= var.system_node_group.desired_size && var.system_node_group.desired_size <= var.system_node_group.max_size
    error_message = "system_node_group needs 1 <= min_size <= desired_size <= max_size."
  }
}

variable "spark_driver_node_group" {
  description = "On-demand node group for Spark drivers (a lost driver loses the whole application, so never spot)."
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gb   = optional(number, 50)
  })
  default = {
    instance_types = ["m6i.large"]
    min_size       = 1
    max_size       = 3
    desired_size   = 1
  }

  validation {
    condition     = var.spark_driver_node_group.min_size <= var.spark_driver_node_group.desired_size && var.spark_driver_node_group.desired_size <= var.spark_driver_node_group.max_size
    error_message = "spark_driver_node_group needs min_size <= desired_size <= max_size."
  }
}

variable "spark_executor_node_group" {
  description = "Spot node group for Spark executors. List several instance types of the same size (diversification keeps spot capacity available); the group scales from zero."
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gb   = optional(number, 100)
  })
  default = {
    instance_types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m5a.xlarge", "m7i.xlarge", "r6i.xlarge"]
    min_size       = 0
    max_size       = 10
    desired_size   = 0
  }

  validation {
    condition     = length(distinct(var.spark_executor_node_group.instance_types)) >= 3
    error_message = "spark_executor_node_group.instance_types must list at least 3 distinct instance types (spot diversification)."
  }

  validation {
    condition     = var.spark_executor_node_group.min_size <= var.spark_executor_node_group.desired_size && var.spark_executor_node_group.desired_size <= var.spark_executor_node_group.max_size
    error_message = "spark_executor_node_group needs min_size <= desired_size <= max_size."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
