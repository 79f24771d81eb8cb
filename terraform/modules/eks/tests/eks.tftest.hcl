# Plan-only tests with the shared mock of the AWS provider (terraform/mocks/aws).
mock_provider "aws" {
  source = "../../mocks/aws" # account 111122223333, eu-west-1, plan-time KMS key ARN and EKS OIDC issuer
}

variables {
  name       = "hdp-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
}

run "spot_executors_on_demand_drivers" {
  command = plan

  assert {
    condition     = aws_eks_node_group.this["spark-executor"].capacity_type == "SPOT"
    error_message = "Spark executors must run on spot capacity"
  }
  assert {
    condition     = length(distinct(aws_eks_node_group.this["spark-executor"].instance_types)) >= 3
    error_message = "the spot group must diversify over at least 3 instance types"
  }
  assert {
    condition     = aws_eks_node_group.this["spark-executor"].labels == tomap({ "hdp.io/capacity" = "spot", "hdp.io/role" = "spark-executor" })
    error_message = "executor nodes are labelled hdp.io/capacity=spot, hdp.io/role=spark-executor"
  }
  assert {
    condition = anytrue([for t in aws_eks_node_group.this["spark-executor"].taint :
    t.key == "hdp.io/capacity" && t.value == "spot" && t.effect == "NO_SCHEDULE"])
    error_message = "the spot group must be tainted hdp.io/capacity=spot:NoSchedule"
  }
  assert {
    condition     = aws_eks_node_group.this["spark-driver"].capacity_type == "ON_DEMAND" && aws_eks_node_group.this["system"].capacity_type == "ON_DEMAND"
    error_message = "drivers and system pods run on on-demand capacity"
  }
  assert {
    condition     = aws_eks_node_group.this["spark-driver"].labels == tomap({ "hdp.io/capacity" = "on-demand", "hdp.io/role" = "spark-driver" })
    error_message = "driver nodes are labelled hdp.io/capacity=on-demand, hdp.io/role=spark-driver"
  }
  assert {
    condition     = length(aws_eks_node_group.this["spark-driver"].taint) == 0 && length(aws_eks_node_group.this["system"].taint) == 0
    error_message = "only the spot group is tainted"
  }
  assert {
    condition     = aws_eks_node_group.this["spark-executor"].scaling_config[0].min_size == 0
    error_message = "the executor group scales from zero"
  }
}

run "private_encrypted_logged_control_plane" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access == true && aws_eks_cluster.this.vpc_config[0].endpoint_public_access == false
    error_message = "the API endpoint is private by default"
  }
  assert {
    condition     = toset(aws_eks_cluster.this.enabled_cluster_log_types) == toset(["api", "audit", "authenticator", "controllerManager", "scheduler"])
    error_message = "all control-plane log types must be enabled"
  }
  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].resources == toset(["secrets"])
    error_message = "Kubernetes secrets must be envelope-encrypted with KMS"
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the EKS KMS key must rotate"
  }
  assert {
    condition = alltrue([for k, lt in aws_launch_template.node :
      lt.metadata_options[0].http_tokens == "required" && lt.metadata_options[0].http_put_response_hop_limit == 1 && lt.block_device_mappings[0].ebs[0].encrypted == "true"
    ])
    error_message = "nodes need IMDSv2 with hop limit 1 (pods use IRSA) and encrypted volumes"
  }
  assert {
    condition     = aws_iam_openid_connect_provider.this.client_id_list == toset(["sts.amazonaws.com"])
    error_message = "an OIDC provider for IRSA must exist"
  }
  assert {
    condition     = output.oidc_issuer == "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    error_message = "oidc_issuer is the issuer without https://"
  }
}

run "public_endpoint_restricted" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["203.0.113.0/24"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.0/24"])
    error_message = "the public endpoint is restricted to the given CIDRs"
  }
}

run "rejects_open_public_endpoint" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["0.0.0.0/0"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_undiversified_spot" {
  command = plan

  variables {
    spark_executor_node_group = {
      instance_types = ["m6i.xlarge"]
      min_size       = 0
      max_size       = 10
      desired_size   = 0
    }
  }

  expect_failures = [var.spark_executor_node_group]
}
