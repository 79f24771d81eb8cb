variable "name_prefix" {
  description = "Prefix of every bucket name: <name_prefix>-<bucket> (e.g. acme-hdp-dev-bronze). Bucket names are global, so include the organisation."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,45}$", var.name_prefix))
    error_message = "name_prefix must be 3-46 characters of lowercase letters, digits and '-' (S3 bucket naming)."
  }
}

variable "bronze_expiration_days" {
  description = "Days after which bronze (raw, PHI) objects expire."
  type        = number
  default     = 365

  validation {
    condition     = var.bronze_expiration_days >= 1 && floor(var.bronze_expiration_days) == var.bronze_expiration_days
    error_message = "bronze_expiration_days must be a whole number of days >= 1."
  }
}

variable "silver_expiration_days" {
  description = "Days after which silver (clean, PHI, quarantine) objects expire."
  type        = number
  default     = 730

  validation {
    condition     = var.silver_expiration_days >= 1 && floor(var.silver_expiration_days) == var.silver_expiration_days
    error_message = "silver_expiration_days must be a whole number of days >= 1."
  }
}

variable "gold_expiration_days" {
  description = "Days after which gold (de-identified model and KPIs) objects expire; null keeps them (only noncurrent versions are cleaned up)."
  type        = number
  default     = null

  validation {
    condition     = var.gold_expiration_days == null ? true : var.gold_expiration_days >= 1
    error_message = "gold_expiration_days must be null or >= 1."
  }
}

variable "landing_expiration_days" {
  description = "Days after which dropped lab CSV files expire from the landing bucket (they are in bronze by then)."
  type        = number
  default     = 90

  validation {
    condition     = var.landing_expiration_days >= 7
    error_message = "landing_expiration_days must be >= 7 so a failed ingestion can be replayed."
  }
}

variable "spark_event_log_expiration_days" {
  description = "Days to keep Spark event logs (history server) in the spark-logs bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.spark_event_log_expiration_days >= 1
    error_message = "spark_event_log_expiration_days must be >= 1."
  }
}

variable "dq_docs_expiration_days" {
  description = "Days to keep data-quality results and Great Expectations data docs."
  type        = number
  default     = 365

  validation {
    condition     = var.dq_docs_expiration_days >= 1
    error_message = "dq_docs_expiration_days must be >= 1."
  }
}

variable "access_log_expiration_days" {
  description = "Days to keep S3 server access logs (HIPAA asks for six years of audit records: 2192)."
  type        = number
  default     = 2192

  validation {
    condition     = var.access_log_expiration_days >= 90
    error_message = "access_log_expiration_days must be >= 90."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent (overwritten or deleted) object versions are removed from every bucket."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 365
    error_message = "noncurrent_version_expiration_days must be between 1 and 365."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads (failed Spark writes) are aborted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && var.abort_incomplete_multipart_upload_days <= 30
    error_message = "abort_incomplete_multipart_upload_days must be between 1 and 30."
  }
}

variable "decommission_expiration_days" {
  description = "Days to keep Spark decommission fallback storage (shuffle/RDD blocks migrated off reclaimed spot nodes) under spark-decommission/."
  type        = number
  default     = 1

  validation {
    condition     = var.decommission_expiration_days >= 1 && var.decommission_expiration_days <= 7
    error_message = "decommission_expiration_days must be between 1 and 7: the blocks are only useful to running applications."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the lake KMS key is deleted after destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets (never in production)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
