variable "name" {
  description = "Name of the trail and prefix of its bucket, key and log group (e.g. hdp-dev)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "bucket_name" {
  description = "Name of the S3 bucket that receives the CloudTrail log files (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name."
  }
}

variable "data_event_bucket_arns" {
  description = "ARNs of the buckets whose object-level reads and writes are recorded (the PHI buckets: landing, bronze, silver)."
  type        = list(string)

  validation {
    condition     = length(var.data_event_bucket_arns) > 0 && alltrue([for a in var.data_event_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", a))])
    error_message = "data_event_bucket_arns must be a non-empty list of S3 bucket ARNs."
  }
}

variable "access_logs_bucket" {
  description = "Bucket receiving S3 server access logs of the trail bucket (output access_logs_bucket of modules/lake)."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep CloudTrail log files in S3 (HIPAA: six years = 2192)."
  type        = number
  default     = 2192

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "log_retention_days must be at least 365."
  }
}

variable "cloudwatch_retention_days" {
  description = "Days to keep the trail's copy in CloudWatch Logs (for metric filters and alarms)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cloudwatch_retention_days)
    error_message = "cloudwatch_retention_days must be a retention period CloudWatch Logs accepts."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty trail bucket (never in production)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
