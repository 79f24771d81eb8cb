locals {
  b = var.bucket_arns

  # Building blocks ---------------------------------------------------------------------------------------
  read_objects  = ["s3:GetObject", "s3:GetObjectVersion"]
  write_objects = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
  list_bucket   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
  kms_read      = ["kms:Decrypt", "kms:DescribeKey"]
  kms_write     = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]

  # Statements scoped to one bucket (whole bucket) -------------------------------------------------------
  bucket_read = { for k, arn in local.b : k => [
    { Sid = "List${replace(title(k), "-", "")}", Effect = "Allow", Action = local.list_bucket, Resource = [arn] },
    { Sid = "Read${replace(title(k), "-", "")}", Effect = "Allow", Action = local.read_objects, Resource = ["${arn}/*"] },
  ] }
  bucket_write = { for k, arn in local.b : k => [
    { Sid = "List${replace(title(k), "-", "")}", Effect = "Allow", Action = local.list_bucket, Resource = [arn] },
    { Sid = "Write${replace(title(k), "-", "")}", Effect = "Allow", Action = local.write_objects, Resource = ["${arn}/*"] },
  ] }

  # Statements scoped to one prefix of the spark-logs bucket --------------------------------------------
  logs = local.b["spark-logs"]
  prefix_list = { for sid, prefix in {
    ListEventLogs = var.event_log_prefix, ListAirflowLogs = var.airflow_log_prefix,
    } : sid => {
    Sid       = sid, Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.logs]
    Condition = { StringLike = { "s3:prefix" = [trimsuffix(prefix, "/"), "${prefix}*"] } }
  } }
  write_event_logs = {
    Sid      = "WriteSparkEventLogs", Effect = "Allow"
    Action   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    Resource = ["${local.logs}/${var.event_log_prefix}*"]
  }
  decommission = { for w in ["extract", "transform", "load"] : w => [
    {
      Sid       = "ListOwnDecommissionPrefix", Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.logs]
      Condition = { StringLike = { "s3:prefix" = ["${var.decommission_prefix}${w}", "${var.decommission_prefix}${w}/*"] } }
    },
    {
      Sid      = "UseOwnDecommissionPrefix", Effect = "Allow", Action = local.write_objects
      Resource = ["${local.logs}/${var.decommission_prefix}${w}/*"]
    },
  ] }
  kms_lake = { for mode, actions in { read = local.kms_read, write = local.kms_write } : mode => {
    Sid = "LakeKey", Effect = "Allow", Action = actions, Resource = [var.lake_kms_key_arn]
  } }

  # One policy per workload ------------------------------------------------------------------------------
  policies = {
    # Sources -> bronze. Reads lab CSV drops, writes bronze (idempotent partition overwrite needs delete)
    # and the control state (extract log, lab file ledger, manifest, lease).
    extract = {
      Version = "2012-10-17"
      Statement = concat(
        local.bucket_read["landing"],
        local.bucket_write["bronze"],
        local.bucket_write["control"],
        [local.prefix_list["ListEventLogs"], local.write_event_logs],
        local.decommission["extract"],
        [local.kms_lake["write"]],
        length(var.source_secret_arns) == 0 ? [] : [{
          Sid = "ReadSourceSecrets", Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = var.source_secret_arns
        }],
      )
    }
    # bronze -> silver (+ quarantine, PHI: under quarantine/ in the silver bucket) -> gold, the data-quality
    # results/docs, and the control state (manifests, lease).
    transform = {
      Version = "2012-10-17"
      Statement = concat(
        local.bucket_read["bronze"],
        local.bucket_write["silver"],
        local.bucket_write["control"],
        local.bucket_write["gold"],
        local.bucket_write["dq-docs"],
        [local.prefix_list["ListEventLogs"], local.write_event_logs],
        local.decommission["transform"],
        [local.kms_lake["write"]],
      )
    }
    # gold -> Redshift. Reads gold, writes the control state (run manifest, lease, the COPY manifests under
    # redshift/); COPY itself runs with the cluster's COPY role; the job logs in with temporary credentials
    # of one database user.
    load = {
      Version = "2012-10-17"
      Statement = concat(
        local.bucket_read["gold"],
        local.bucket_write["control"],
        [local.prefix_list["ListEventLogs"], local.write_event_logs],
        local.decommission["load"],
        [local.kms_lake["write"]],
        [{
          Sid    = "RedshiftTemporaryCredentials"
          Effect = "Allow"
          Action = ["redshift:GetClusterCredentials"]
          Resource = [
            "${replace(var.redshift_cluster_arn, ":cluster:", ":dbuser:")}/${var.loader_db_user}",
            "${replace(var.redshift_cluster_arn, ":cluster:", ":dbname:")}/${var.redshift_database_name}",
          ]
        }],
      )
    }
    # Remote task logs under airflow/, and reading data-quality results for sensors/reports.
    airflow = {
      Version = "2012-10-17"
      Statement = concat(
        [
          local.prefix_list["ListAirflowLogs"],
          {
            Sid      = "WriteAirflowLogs", Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"]
            Resource = ["${local.logs}/${var.airflow_log_prefix}*"]
          },
        ],
        local.bucket_read["dq-docs"],
        [local.kms_lake["write"]],
      )
    }
    # Read-only on the event logs.
    history-server = {
      Version = "2012-10-17"
      Statement = [
        local.prefix_list["ListEventLogs"],
        { Sid = "ReadEventLogs", Effect = "Allow", Action = local.read_objects, Resource = ["${local.logs}/${var.event_log_prefix}*"] },
        local.kms_lake["read"],
      ]
    }
  }

  trust_policies = {
    for w, sas in var.service_accounts : w => {
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Federated = var.oidc_provider_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${var.oidc_issuer}:aud" = "sts.amazonaws.com"
            "${var.oidc_issuer}:sub" = [for sa in sas : "system:serviceaccount:${w == "airflow" ? var.airflow_namespace : var.namespace}:${sa}"]
          }
        }
      }]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.trust_policies

  name                 = "${var.name}-${each.key}"
  description          = "IRSA role of the ${each.key} workload"
  assume_role_policy   = jsonencode(each.value)
  max_session_duration = 3600
  tags                 = merge(var.tags, { "hdp.io/workload" = each.key })
}

resource "aws_iam_role_policy" "this" {
  for_each = local.policies

  name   = "${each.key}-least-privilege"
  role   = aws_iam_role.this[each.key].id
  policy = jsonencode(each.value)
}
