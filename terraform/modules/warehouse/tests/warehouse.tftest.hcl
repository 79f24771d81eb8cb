# Plan-only tests with the shared mock of the AWS provider (terraform/mocks/aws).
mock_provider "aws" {
  source = "../../mocks/aws" # account 111122223333, eu-west-1, plan-time KMS key ARN and EKS OIDC issuer
}

variables {
  name                       = "hdp-test"
  environment                = "dev"
  vpc_id                     = "vpc-0123456789abcdef0"
  vpc_cidr_block             = "10.40.0.0/16"
  subnet_ids                 = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  s3_prefix_list_id          = "pl-6da54004"
  allowed_security_group_ids = ["sg-0123456789abcdef0"]
  gold_bucket_arn            = "arn:aws:s3:::acme-hdp-test-gold"
  manifest_bucket_arn        = "arn:aws:s3:::acme-hdp-test-control"
  lake_kms_key_arn           = "arn:aws:kms:eu-west-1:111122223333:key/11111111-1111-1111-1111-111111111111"
}

run "private_encrypted_ssl" {
  command = plan

  assert {
    condition     = aws_redshift_cluster.this.publicly_accessible == false
    error_message = "Redshift must not be publicly accessible"
  }
  assert {
    condition     = aws_redshift_cluster.this.encrypted == true
    error_message = "Redshift must be encrypted at rest"
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the Redshift KMS key must rotate"
  }
  assert {
    condition     = aws_redshift_cluster.this.enhanced_vpc_routing == true
    error_message = "COPY/UNLOAD traffic must stay in the VPC (enhanced VPC routing)"
  }
  assert {
    condition     = startswith(aws_redshift_cluster.this.node_type, "ra3.")
    error_message = "Redshift must use RA3 nodes"
  }
  assert {
    condition     = one([for p in aws_redshift_parameter_group.this.parameter : p.value if p.name == "require_ssl"]) == "true"
    error_message = "the parameter group must require SSL"
  }
  assert {
    condition     = one([for p in aws_redshift_parameter_group.this.parameter : p.value if p.name == "enable_user_activity_logging"]) == "true"
    error_message = "user activity logging must be on"
  }
  assert {
    condition     = aws_redshift_cluster.this.manage_master_password == true && aws_redshift_cluster.this.master_password == null
    error_message = "the master password must be managed by Secrets Manager, never set in code"
  }
  assert {
    condition     = aws_redshift_logging.this.log_destination_type == "cloudwatch" && toset(aws_redshift_logging.this.log_exports) == toset(["connectionlog", "userlog", "useractivitylog"])
    error_message = "audit logging must export connection, user and user-activity logs"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.from_cidrs) == 0 && length(aws_vpc_security_group_ingress_rule.from_security_groups) == 1
    error_message = "only the given security groups may connect"
  }

  # The COPY role reads the gold bucket, the COPY manifests in control/redshift/ and nothing else.
  assert {
    condition = alltrue(flatten([for s in jsondecode(output.copy_policy_json).Statement : [
      for r in flatten([s.Resource]) : r == var.gold_bucket_arn || r == "${var.gold_bucket_arn}/*" || r == "${var.manifest_bucket_arn}/redshift/*" || r == var.lake_kms_key_arn
    ]]))
    error_message = "the COPY role may only reach the gold bucket, the COPY manifests and the lake key"
  }
  assert {
    condition = alltrue(flatten([for s in jsondecode(output.copy_policy_json).Statement : [
      for a in flatten([s.Action]) : !strcontains(a, "*") && !contains(["s3:PutObject", "s3:DeleteObject"], a)
    ]]))
    error_message = "the COPY role is read-only and has no wildcard actions"
  }

  # Non-production: pause and resume on a schedule.
  assert {
    condition     = toset(keys(aws_redshift_scheduled_action.this)) == toset(["pause", "resume"])
    error_message = "dev must have scheduled pause and resume actions"
  }
  assert {
    condition     = length(aws_redshift_scheduled_action.this["pause"].target_action[0].pause_cluster) == 1 && length(aws_redshift_scheduled_action.this["resume"].target_action[0].resume_cluster) == 1
    error_message = "the pause action pauses and the resume action resumes"
  }
}

run "prod_never_pauses" {
  command = plan

  variables {
    environment = "prod"
  }

  assert {
    condition     = length(aws_redshift_scheduled_action.this) == 0 && length(aws_iam_role.scheduler) == 0
    error_message = "prod must have no scheduled pause/resume"
  }
  assert {
    condition     = output.pause_resume_enabled == false
    error_message = "pause_resume_enabled must be false in prod"
  }
}

run "single_node" {
  command = plan

  variables {
    number_of_nodes = 1
  }

  assert {
    condition     = aws_redshift_cluster.this.cluster_type == "single-node"
    error_message = "one node means a single-node cluster"
  }
}

run "rejects_public_cidr_and_dc2" {
  command = plan

  variables {
    allowed_cidr_blocks = ["0.0.0.0/0"]
    node_type           = "dc2.large"
  }

  expect_failures = [var.allowed_cidr_blocks, var.node_type]
}
