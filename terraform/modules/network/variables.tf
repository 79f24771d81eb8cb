variable "name" {
  description = "Name prefix for every resource of the network (e.g. hdp-dev)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC. Subnets are carved from it: /20 private per AZ, /24 database and /24 public per AZ (needs at least a /16)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) <= 16
    error_message = "cidr_block must be a valid IPv4 CIDR of size /16 or larger."
  }
}

variable "azs" {
  description = "Availability zones to spread the subnets over (at least two; Redshift and EKS need two)."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 4
    error_message = "azs must list 2 to 4 availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all AZs (cheaper, for non-production) instead of one per AZ (highly available)."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints (private DNS) instead of the NAT: what nodes, IRSA and the jobs call. null = the default list."
  type        = list(string)
  nullable    = false
  default = [
    "sts",            # IRSA: AssumeRoleWithWebIdentity
    "ecr.api",        # image pulls
    "ecr.dkr",        # image pulls
    "logs",           # CloudWatch Logs (container and flow logs)
    "kms",            # SSE-KMS on the lake
    "secretsmanager", # source DB credentials, Redshift master secret
    "ec2",            # nodes, VPC CNI
    "eks",            # nodes joining the cluster
    "eks-auth",       # EKS Pod Identity / auth
    "elasticloadbalancing",
    "autoscaling", # cluster-autoscaler
    "redshift",    # GetClusterCredentials for the loader
    "monitoring",  # CloudWatch metrics
    "ssm",         # Systems Manager patching of nodes
    "ssmmessages",
    "ec2messages",
  ]

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoints must be AWS service short names such as \"sts\" or \"ecr.api\"."
  }
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention period CloudWatch Logs accepts (e.g. 30, 90, 365, 731, 2192)."
  }
}

variable "flow_log_traffic_type" {
  description = "Which traffic the VPC flow log records."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "cluster_name" {
  description = "EKS cluster name, used for the kubernetes.io/cluster/<name> subnet tags that load balancers look for."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
