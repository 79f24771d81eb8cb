data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  port       = 5439

  # Pause/resume is a cost saver for non-production only: prod is never paused, whatever the input.
  pause_resume_enabled = var.environment != "prod" && var.pause_resume_schedule != null
  scheduled_actions = local.pause_resume_enabled ? {
    pause  = { schedule = var.pause_resume_schedule.pause }
    resume = { schedule = var.pause_resume_schedule.resume }
  } : {}

  cluster_arn = "arn:${local.partition}:redshift:${local.region}:${local.account_id}:cluster:${var.name}"

  audit_log_types = ["connectionlog", "userlog", "useractivitylog"]

  # COPY from gold only: read the gold objects, list the gold bucket, decrypt with the lake key via S3.
  copy_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadGoldObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = ["${var.gold_bucket_arn}/*"]
      },
      {
        Sid      = "ListGoldBucket"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = [var.gold_bucket_arn]
      },
      {
        # The COPY manifests naming exactly the files of a gold snapshot (the load stage writes them).
        Sid      = "ReadCopyManifests"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = ["${var.manifest_bucket_arn}/redshift/*"]
      },
      {
        Sid       = "DecryptGoldObjects"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [var.lake_kms_key_arn]
        Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
      },
    ]
  }

  scheduler_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PauseResumeThisCluster"
      Effect   = "Allow"
      Action   = ["redshift:PauseCluster", "redshift:ResumeCluster"]
      Resource = [local.cluster_arn]
    }]
  }
}

# --- encryption -----------------------------------------------------------------------------------------

module "key_policy" {
  source               = "../kms-key-policy"
  cloudwatch_log_group = "/aws/redshift/cluster/${var.name}/*"
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: Redshift cluster storage, master secret and audit logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = module.key_policy.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-redshift"
  target_key_id = aws_kms_key.this.key_id
}

# --- network --------------------------------------------------------------------------------------------

resource "aws_redshift_subnet_group" "this" {
  name        = var.name
  description = "Isolated subnets of ${var.name}"
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-redshift"
  description = "Redshift ${var.name}: SQL from the platform only; egress to S3 and VPC endpoints"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-redshift" })
}

resource "aws_vpc_security_group_ingress_rule" "from_security_groups" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Redshift from ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_ingress_rule" "from_cidrs" {
  for_each = toset(var.allowed_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "Redshift from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = local.port
  to_port           = local.port
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "s3" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to S3 through the gateway endpoint (COPY/UNLOAD with enhanced VPC routing)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.s3_prefix_list_id
}

resource "aws_vpc_security_group_egress_rule" "vpc_endpoints" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to interface VPC endpoints (KMS, STS, CloudWatch Logs)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.vpc_cidr_block
}

# --- parameters -----------------------------------------------------------------------------------------

resource "aws_redshift_parameter_group" "this" {
  name        = "${var.name}-params"
  description = "TLS-only connections and user activity logging for ${var.name}"
  family      = "redshift-2.0"

  parameter {
    name  = "require_ssl"
    value = "true"
  }

  parameter {
    name  = "enable_user_activity_logging"
    value = "true"
  }

  parameter {
    name  = "use_fips_ssl"
    value = "true"
  }

  tags = var.tags
}

# --- IAM: COPY role and scheduler role -----------------------------------------------------------------

resource "aws_iam_role" "copy" {
  name        = "${var.name}-redshift-copy"
  description = "Assumed by Redshift for COPY from the gold bucket only"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "redshift.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "copy" {
  name   = "copy-from-gold"
  role   = aws_iam_role.copy.id
  policy = jsonencode(local.copy_policy)
}

resource "aws_iam_role" "scheduler" {
  count = local.pause_resume_enabled ? 1 : 0

  name        = "${var.name}-redshift-scheduler"
  description = "Assumed by the Redshift scheduler to pause and resume ${var.name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.redshift.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.pause_resume_enabled ? 1 : 0

  name   = "pause-resume"
  role   = aws_iam_role.scheduler[0].id
  policy = jsonencode(local.scheduler_policy)
}

# --- cluster --------------------------------------------------------------------------------------------

resource "aws_redshift_cluster" "this" {
  #checkov:skip=CKV_AWS_71:Audit logging is configured with the aws_redshift_logging resource below (the inline logging block is deprecated in provider 5.x).
  cluster_identifier = var.name
  node_type          = var.node_type
  cluster_type       = var.number_of_nodes > 1 ? "multi-node" : "single-node"
  number_of_nodes    = var.number_of_nodes
  database_name      = var.database_name
  port               = local.port

  master_username                   = var.master_username
  manage_master_password            = true # generated and stored in Secrets Manager, never in state
  master_password_secret_kms_key_id = aws_kms_key.this.arn

  encrypted  = true
  kms_key_id = aws_kms_key.this.arn

  publicly_accessible          = false
  enhanced_vpc_routing         = true
  cluster_subnet_group_name    = aws_redshift_subnet_group.this.name
  vpc_security_group_ids       = [aws_security_group.this.id]
  cluster_parameter_group_name = aws_redshift_parameter_group.this.name

  iam_roles            = [aws_iam_role.copy.arn]
  default_iam_role_arn = aws_iam_role.copy.arn

  allow_version_upgrade                = true # security patches in the maintenance window
  preferred_maintenance_window         = var.maintenance_window
  automated_snapshot_retention_period  = var.automated_snapshot_retention_days
  availability_zone_relocation_enabled = true

  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.name}-final"

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "audit" {
  for_each = toset(local.audit_log_types)

  # Redshift writes to /aws/redshift/cluster/<id>/<log type>.
  name              = "/aws/redshift/cluster/${var.name}/${each.value}"
  retention_in_days = var.audit_log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_redshift_logging" "this" {
  cluster_identifier   = aws_redshift_cluster.this.cluster_identifier
  log_destination_type = "cloudwatch"
  log_exports          = local.audit_log_types

  depends_on = [aws_cloudwatch_log_group.audit]
}

resource "aws_redshift_scheduled_action" "this" {
  for_each = local.scheduled_actions

  name     = "${var.name}-${each.key}"
  schedule = each.value.schedule
  iam_role = aws_iam_role.scheduler[0].arn
  enable   = true

  target_action {
    dynamic "pause_cluster" {
      for_each = each.key == "pause" ? [1] : []
      content {
        cluster_identifier = aws_redshift_cluster.this.cluster_identifier
      }
    }
    dynamic "resume_cluster" {
      for_each = each.key == "resume" ? [1] : []
      content {
        cluster_identifier = aws_redshift_cluster.this.cluster_identifier
      }
    }
  }
}
