data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Labels and taints the SparkApplications select (see README "Node labels").
  capacity_label = "hdp.io/capacity"
  role_label     = "hdp.io/role"

  node_groups = {
    system = {
      config        = var.system_node_group
      capacity_type = "ON_DEMAND"
      labels        = { (local.capacity_label) = "on-demand", (local.role_label) = "system" }
      taints        = []
    }
    spark-driver = {
      config        = var.spark_driver_node_group
      capacity_type = "ON_DEMAND"
      labels        = { (local.capacity_label) = "on-demand", (local.role_label) = "spark-driver" }
      taints        = []
    }
    spark-executor = {
      config        = var.spark_executor_node_group
      capacity_type = "SPOT"
      labels        = { (local.capacity_label) = "spot", (local.role_label) = "spark-executor" }
      # Only pods that tolerate spot interruption (Spark executors) land here.
      taints = [{ key = local.capacity_label, value = "spot", effect = "NO_SCHEDULE" }]
    }
  }

  oidc_issuer_url = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

# --- encryption -----------------------------------------------------------------------------------------

module "key_policy" {
  source               = "../kms-key-policy"
  cloudwatch_log_group = "/aws/eks/${var.name}/cluster"
  extra_statements = [{
    # Encrypted EBS volumes of the managed node groups are created by the Auto Scaling service role.
    Sid       = "AutoScalingEbs"
    Effect    = "Allow"
    Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" }
    Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"]
    Resource  = "*"
  }]
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: EKS secrets envelope encryption, control-plane logs and node volumes"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = module.key_policy.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-eks"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_cloudwatch_log_group" "cluster" {
  # EKS writes to exactly this name; creating it first sets retention and encryption.
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = var.control_plane_log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

# --- control plane --------------------------------------------------------------------------------------

resource "aws_iam_role" "cluster" {
  name = "${var.name}-eks-cluster"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn

  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_config {
    subnet_ids              = var.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = var.endpoint_public_access
    # With the public endpoint off this list is ignored by EKS; never 0.0.0.0/0 (validated).
    public_access_cidrs = var.endpoint_public_access ? var.public_access_cidrs : ["127.0.0.1/32"]
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.this.arn
    }
  }

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  # Patch releases of the control plane are applied by AWS; minor upgrades go through var.kubernetes_version.
  upgrade_policy {
    support_type = "STANDARD"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy_attachment.cluster, aws_cloudwatch_log_group.cluster]

  lifecycle {
    precondition {
      condition     = !var.endpoint_public_access || length(var.public_access_cidrs) > 0
      error_message = "endpoint_public_access = true needs a non-empty public_access_cidrs allow-list."
    }
  }
}

resource "aws_eks_access_entry" "admins" {
  for_each = toset(var.cluster_admin_principal_arns)

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value
  type          = "STANDARD"
  tags          = var.tags
}

resource "aws_eks_access_policy_association" "admins" {
  for_each = toset(var.cluster_admin_principal_arns)

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }

  depends_on = [aws_eks_access_entry.admins]
}

# IRSA: the job service accounts assume their roles through this OIDC provider (see modules/iam).
resource "aws_iam_openid_connect_provider" "this" {
  url            = local.oidc_issuer_url
  client_id_list = ["sts.amazonaws.com"]
  tags           = var.tags
}

# --- add-ons (kept on the default version for the cluster; bump to patch) -------------------------------

resource "aws_eks_addon" "this" {
  for_each = toset(["vpc-cni", "kube-proxy", "coredns"])

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.value
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags

  depends_on = [aws_eks_node_group.this]
}

# --- nodes ----------------------------------------------------------------------------------------------

resource "aws_iam_role" "node" {
  name = "${var.name}-eks-node"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore", # Systems Manager patching and session access without SSH
  ])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

resource "aws_launch_template" "node" {
  for_each = local.node_groups

  name_prefix            = "${var.name}-${each.key}-"
  update_default_version = true

  # IMDSv2 only, and a hop limit of 1 so pods cannot borrow the node role: they use IRSA.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = each.value.config.disk_size_gb
      volume_type           = "gp3"
      encrypted             = true
      kms_key_id            = aws_kms_key.this.arn
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-${each.key}" }, each.value.labels)
  }

  tags = var.tags
}

resource "aws_eks_node_group" "this" {
  for_each = local.node_groups

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = each.key
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  version         = var.kubernetes_version
  ami_type        = "AL2023_x86_64_STANDARD"
  capacity_type   = each.value.capacity_type
  instance_types  = each.value.config.instance_types
  labels          = each.value.labels

  scaling_config {
    min_size     = each.value.config.min_size
    max_size     = each.value.config.max_size
    desired_size = each.value.config.desired_size
  }

  update_config {
    max_unavailable_percentage = 33
  }

  launch_template {
    id      = aws_launch_template.node[each.key].id
    version = aws_launch_template.node[each.key].latest_version
  }

  dynamic "taint" {
    for_each = each.value.taints
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }

  tags = merge(var.tags, {
    # cluster-autoscaler discovers the groups and, for scale-from-zero, their labels and taints.
    "k8s.io/cluster-autoscaler/enabled"                                     = "true"
    "k8s.io/cluster-autoscaler/${var.name}"                                 = "owned"
    "k8s.io/cluster-autoscaler/node-template/label/hdp.io/capacity"         = each.value.labels[local.capacity_label]
    "k8s.io/cluster-autoscaler/node-template/label/hdp.io/role"             = each.value.labels[local.role_label]
    "k8s.io/cluster-autoscaler/node-template/taint/${local.capacity_label}" = length(each.value.taints) > 0 ? "spot:NoSchedule" : ""
  })

  lifecycle {
    # The autoscaler owns desired_size once the group exists.
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}
