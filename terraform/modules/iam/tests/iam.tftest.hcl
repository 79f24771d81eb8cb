# Plan-only tests with a mocked AWS provider. The policies are plain jsonencode'd locals (exposed as the
# `policies` output), so they are fully known at plan time.
mock_provider "aws" {}

variables {
  name              = "hdp-test"
  oidc_provider_arn = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer       = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  bucket_arns = {
    landing    = "arn:aws:s3:::acme-hdp-test-landing"
    bronze     = "arn:aws:s3:::acme-hdp-test-bronze"
    silver     = "arn:aws:s3:::acme-hdp-test-silver"
    gold       = "arn:aws:s3:::acme-hdp-test-gold"
    control    = "arn:aws:s3:::acme-hdp-test-control"
    spark-logs = "arn:aws:s3:::acme-hdp-test-spark-logs"
    dq-docs    = "arn:aws:s3:::acme-hdp-test-dq-docs"
  }
  lake_kms_key_arn       = "arn:aws:kms:eu-west-1:111122223333:key/11111111-1111-1111-1111-111111111111"
  redshift_cluster_arn   = "arn:aws:redshift:eu-west-1:111122223333:cluster:hdp-test"
  redshift_database_name = "hdp"
  loader_db_user         = "hdp_loader"
  source_secret_arns     = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:hdp-test/source-db-AbCdEf"]
}

run "least_privilege" {
  command = plan

  assert {
    condition     = toset(keys(aws_iam_role.this)) == toset(["extract", "transform", "load", "airflow", "history-server"])
    error_message = "one IRSA role per workload"
  }

  # No wildcard actions anywhere: every action is a concrete service:Action.
  assert {
    condition = alltrue(flatten([for w, p in output.policies : [for s in p.Statement : [
      for a in flatten([s.Action]) : !strcontains(a, "*") && can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))
    ]]]))
    error_message = "policies must not contain '*' actions"
  }

  # Only Allow statements; no NotAction/NotResource tricks.
  assert {
    condition     = alltrue(flatten([for w, p in output.policies : [for s in p.Statement : s.Effect == "Allow" && !can(s.NotAction) && !can(s.NotResource)]]))
    error_message = "policies must be plain Allow statements"
  }

  # Every resource is one of the given buckets (or an object path inside it), the lake key, a secret or a
  # Redshift dbuser/dbname of the cluster: never "*" and never a foreign ARN.
  assert {
    condition = alltrue(flatten([for w, p in output.policies : [for s in p.Statement : [
      for r in flatten([s.Resource]) : r != "*" && (
        contains(values(var.bucket_arns), r) ||
        anytrue([for b in values(var.bucket_arns) : startswith(r, "${b}/")]) ||
        r == var.lake_kms_key_arn ||
        contains(var.source_secret_arns, r) ||
        startswith(r, "arn:aws:redshift:eu-west-1:111122223333:dbuser:hdp-test/") ||
        startswith(r, "arn:aws:redshift:eu-west-1:111122223333:dbname:hdp-test/")
      )
    ]]]))
    error_message = "policy resources must be scoped to the given buckets/prefixes, the lake key, secrets or the cluster"
  }

  # Object-level S3 actions only ever on object paths (bucket/...), bucket-level ones only on buckets.
  assert {
    condition = alltrue(flatten([for w, p in output.policies : [for s in p.Statement : [
      for r in flatten([s.Resource]) : strcontains(r, ":s3:::") ? (
        alltrue([for a in flatten([s.Action]) : contains(["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"], a)]) == !strcontains(r, "/")
      ) : true
    ]]]))
    error_message = "object actions must target object paths and bucket actions must target buckets"
  }

  # Who may write where (the medallion flow).
  assert {
    condition = alltrue([
      for w, buckets in {
        extract        = ["bronze", "control"]
        transform      = ["silver", "gold", "dq-docs", "control"]
        load           = ["control"]
        airflow        = []
        history-server = []
        } : toset(distinct(flatten([for s in output.policies[w].Statement : [
          for r in flatten([s.Resource]) : [for k, b in var.bucket_arns : k if r == "${b}/*"]
      ] if contains(flatten([s.Action]), "s3:PutObject")]))) == toset(buckets)
    ])
    error_message = "whole-bucket writes: extract->bronze, transform->silver (with quarantine/)/gold/dq-docs, every stage->control, nobody else"
  }
  assert {
    condition = !anytrue(flatten([for w in ["extract", "load", "airflow", "history-server"] : [for s in output.policies[w].Statement : [
      for r in flatten([s.Resource]) : startswith(r, var.bucket_arns["silver"])
    ]]]))
    error_message = "only transform may touch silver and its quarantine/ (the PHI restricted zone)"
  }
  assert {
    condition = !anytrue(flatten([for w in ["airflow", "history-server"] : [for s in output.policies[w].Statement : [
      for r in flatten([s.Resource]) : startswith(r, var.bucket_arns["control"])
    ]]]))
    error_message = "the control state is the stages' alone: Airflow and the history server have no access"
  }
  assert {
    condition     = alltrue([for s in output.policies["history-server"].Statement : !contains(flatten([s.Action]), "s3:PutObject")])
    error_message = "the history server is read-only"
  }
  assert {
    condition = alltrue(flatten([for s in output.policies["history-server"].Statement : [
      for r in flatten([s.Resource]) : r == var.lake_kms_key_arn || r == var.bucket_arns["spark-logs"] || startswith(r, "${var.bucket_arns["spark-logs"]}/events/")
    ]]))
    error_message = "the history server reads only spark-logs/events/"
  }

  # IRSA trust: web identity from this provider, pinned audience and service accounts.
  assert {
    condition = alltrue([for w, r in aws_iam_role.this :
      jsondecode(r.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity" &&
      jsondecode(r.assume_role_policy).Statement[0].Principal.Federated == var.oidc_provider_arn &&
      jsondecode(r.assume_role_policy).Statement[0].Condition.StringEquals["${var.oidc_issuer}:aud"] == "sts.amazonaws.com"
    ])
    error_message = "roles must trust only the cluster's OIDC provider with audience sts.amazonaws.com"
  }
  assert {
    condition     = output.service_account_subjects["extract"] == ["system:serviceaccount:hdp:hdp-extract"]
    error_message = "the extract role is assumable only by hdp/hdp-extract"
  }
}

run "rejects_wildcard_bucket" {
  command = plan

  variables {
    bucket_arns = {
      landing    = "arn:aws:s3:::*"
      bronze     = "arn:aws:s3:::acme-hdp-test-bronze"
      silver     = "arn:aws:s3:::acme-hdp-test-silver"
      gold       = "arn:aws:s3:::acme-hdp-test-gold"
      control    = "arn:aws:s3:::acme-hdp-test-control"
      spark-logs = "arn:aws:s3:::acme-hdp-test-spark-logs"
      dq-docs    = "arn:aws:s3:::acme-hdp-test-dq-docs"
    }
  }

  expect_failures = [var.bucket_arns]
}
