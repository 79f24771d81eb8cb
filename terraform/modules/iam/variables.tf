variable "name" {
  description = "Prefix of the role names: <name>-<workload> (e.g. hdp-dev-extract)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider."
  type        = string
}

variable "oidc_issuer" {
  description = "OIDC issuer host/path without https:// (e.g. oidc.eks.eu-west-1.amazonaws.com/id/ABC...)."
  type        = string

  validation {
    condition     = !startswith(var.oidc_issuer, "https://")
    error_message = "oidc_issuer must not include the https:// scheme."
  }
}

variable "namespace" {
  description = "Kubernetes namespace of the job and history-server service accounts."
  type        = string
  default     = "hdp"
}

variable "airflow_namespace" {
  description = "Kubernetes namespace of the Airflow release."
  type        = string
  default     = "airflow"
}

variable "service_accounts" {
  description = "Kubernetes service accounts allowed to assume each workload role. Keys must be exactly extract, transform, load, airflow, history-server."
  type        = map(list(string))
  default = {
    extract        = ["hdp-extract"]
    transform      = ["hdp-transform"]
    load           = ["hdp-load"]
    airflow        = ["airflow-worker", "airflow-scheduler", "airflow-triggerer"]
    history-server = ["hdp-history-server"]
  }

  validation {
    condition     = toset(keys(var.service_accounts)) == toset(["extract", "transform", "load", "airflow", "history-server"])
    error_message = "service_accounts must have exactly the keys extract, transform, load, airflow, history-server."
  }

  validation {
    condition     = alltrue([for v in values(var.service_accounts) : length(v) > 0])
    error_message = "every workload needs at least one service account."
  }
}

variable "bucket_arns" {
  description = "Lake bucket ARNs by key (output bucket_arns of modules/lake): landing, bronze, silver, gold, control, spark-logs, dq-docs."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["landing", "bronze", "silver", "gold", "control", "spark-logs", "dq-docs"] : contains(keys(var.bucket_arns), k)])
    error_message = "bucket_arns must contain landing, bronze, silver, gold, control, spark-logs and dq-docs."
  }

  validation {
    condition     = alltrue([for v in values(var.bucket_arns) : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", v))])
    error_message = "bucket_arns values must be S3 bucket ARNs (arn:aws:s3:::name), without object paths or wildcards."
  }
}

variable "lake_kms_key_arn" {
  description = "KMS key of the lake buckets."
  type        = string
}

variable "event_log_prefix" {
  description = "Prefix of Spark event logs in the spark-logs bucket."
  type        = string
  default     = "events/"
}

variable "decommission_prefix" {
  description = "Prefix of Spark decommission fallback storage in the spark-logs bucket; each job gets <prefix><workload>/."
  type        = string
  default     = "spark-decommission/"
}

variable "airflow_log_prefix" {
  description = "Prefix of Airflow remote task logs in the spark-logs bucket."
  type        = string
  default     = "airflow/"
}

variable "redshift_cluster_arn" {
  description = "ARN of the Redshift cluster (the load job gets temporary credentials for loader_db_user on it)."
  type        = string
}

variable "redshift_database_name" {
  description = "Redshift database the load job connects to."
  type        = string
}

variable "loader_db_user" {
  description = "Redshift database user of the load job."
  type        = string
}

variable "source_secret_arns" {
  description = "Secrets Manager secrets the extract job reads (source PostgreSQL DSN, pharmacy API token)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.source_secret_arns : can(regex("^arn:aws[a-z-]*:secretsmanager:", s)) && !strcontains(s, "*")])
    error_message = "source_secret_arns must be Secrets Manager secret ARNs without wildcards."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
