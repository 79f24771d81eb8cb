variable "cloudwatch_log_group" {
  description = "Name (or ARN-style pattern ending in *) of the CloudWatch Logs group(s) this key encrypts; null = the key is not used by CloudWatch Logs."
  type        = string
  default     = null

  validation {
    condition     = var.cloudwatch_log_group == null ? true : startswith(var.cloudwatch_log_group, "/")
    error_message = "cloudwatch_log_group must be a log group name such as /aws/eks/<cluster>/cluster."
  }
}

variable "extra_statements" {
  description = "Additional key policy statements (service principals of this key), placed after AccountAdministration."
  type        = any
  default     = []
}
