variable "name" {
  description = "Cluster identifier and name prefix of the warehouse resources (e.g. hdp-dev)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "environment" {
  description = "Environment of the cluster. Scheduled pause/resume is only ever created outside prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (egress to interface endpoints with enhanced VPC routing)."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR."
  }
}

variable "subnet_ids" {
  description = "Private (isolated) subnets of the cluster subnet group, at least two AZs."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must contain at least two subnets."
  }
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint: COPY/UNLOAD traffic leaves through it (enhanced VPC routing)."
  type        = string
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on the Redshift port (the EKS cluster security group of the load job)."
  type        = list(string)
  default     = []
}

variable "allowed_cidr_blocks" {
  description = "Private CIDRs allowed to connect on the Redshift port (e.g. the hospital VPN for analysts). Public 0.0.0.0/0 is rejected."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.allowed_cidr_blocks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "allowed_cidr_blocks must be valid IPv4 CIDRs and must not contain 0.0.0.0/0."
  }
}

variable "node_type" {
  description = "RA3 node type (managed storage, needed for pause/resume without data loss and for AZ relocation)."
  type        = string
  default     = "ra3.xlplus"

  validation {
    condition     = contains(["ra3.large", "ra3.xlplus", "ra3.4xlarge", "ra3.16xlarge"], var.node_type)
    error_message = "node_type must be an RA3 node type: ra3.large, ra3.xlplus, ra3.4xlarge or ra3.16xlarge."
  }
}

variable "number_of_nodes" {
  description = "Number of compute nodes (1 = single-node cluster)."
  type        = number
  default     = 2

  validation {
    condition     = var.number_of_nodes >= 1 && var.number_of_nodes <= 32
    error_message = "number_of_nodes must be between 1 and 32."
  }
}

variable "database_name" {
  description = "Name of the database created with the cluster."
  type        = string
  default     = "hdp"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,63}$", var.database_name))
    error_message = "database_name must be lowercase letters, digits and '_', starting with a letter."
  }
}

variable "master_username" {
  description = "Admin user name. Its password is generated and rotated by Secrets Manager (manage_master_password); it is never in code or state."
  type        = string
  default     = "hdp_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,126}$", var.master_username)) && var.master_username != "admin"
    error_message = "master_username must be lowercase letters, digits and '_' and not a reserved name."
  }
}

variable "loader_db_user" {
  description = "Database user the load job gets temporary credentials for (redshift:GetClusterCredentials); created by the warehouse DDL."
  type        = string
  default     = "hdp_loader"
}

variable "gold_bucket_arn" {
  description = "ARN of the gold bucket: the data the COPY role may read."
  type        = string
}

variable "manifest_bucket_arn" {
  description = "ARN of the lake's control bucket: the COPY role reads only the COPY manifests under its redshift/ prefix (the load stage writes them there)."
  type        = string
}

variable "lake_kms_key_arn" {
  description = "KMS key of the lake buckets (the COPY role decrypts gold objects with it)."
  type        = string
}

variable "automated_snapshot_retention_days" {
  description = "Days of automated snapshots."
  type        = number
  default     = 7

  validation {
    condition     = var.automated_snapshot_retention_days >= 1 && var.automated_snapshot_retention_days <= 35
    error_message = "automated_snapshot_retention_days must be between 1 and 35."
  }
}

variable "skip_final_snapshot" {
  description = "Skip the final snapshot on destroy (only for throwaway environments)."
  type        = bool
  default     = false
}

variable "maintenance_window" {
  description = "Weekly maintenance window (UTC) in which Redshift applies patches (allow_version_upgrade is on)."
  type        = string
  default     = "sun:03:00-sun:03:30"
}

variable "pause_resume_schedule" {
  description = "Cron expressions (UTC) to pause and resume the cluster outside working hours. Ignored in prod; null disables it."
  type = object({
    pause  = string
    resume = string
  })
  default = {
    pause  = "cron(0 19 ? * MON-FRI *)"
    resume = "cron(0 7 ? * MON-FRI *)"
  }

  validation {
    condition     = var.pause_resume_schedule == null ? true : alltrue([for c in [var.pause_resume_schedule.pause, var.pause_resume_schedule.resume] : can(regex("^(cron|at)\\(.+\\)$", c))])
    error_message = "pause_resume_schedule.pause/resume must be cron(...) or at(...) expressions."
  }
}

variable "audit_log_retention_days" {
  description = "Days to keep the Redshift audit logs (connection, user, user activity) in CloudWatch Logs."
  type        = number
  default     = 2192

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.audit_log_retention_days)
    error_message = "audit_log_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
