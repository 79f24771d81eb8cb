# Plan-only tests with the shared mock of the AWS provider (terraform/mocks/aws).
mock_provider "aws" {
  source = "../../mocks/aws" # account 111122223333, eu-west-1, plan-time KMS key ARN and EKS OIDC issuer
}

variables {
  name         = "hdp-test"
  cluster_name = "hdp-test"
  azs          = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

run "ha_network" {
  command = plan

  assert {
    condition     = length(aws_subnet.private) == 3 && length(aws_subnet.database) == 3 && length(aws_subnet.public) == 3
    error_message = "one private, database and public subnet per AZ"
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "one NAT gateway per AZ by default"
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "no instance gets a public IP automatically"
  }
  assert {
    condition     = alltrue([for s in concat(aws_subnet.private, aws_subnet.database, aws_subnet.public) : cidrsubnet(s.cidr_block, 0, 0) == s.cidr_block])
    error_message = "subnet CIDRs are valid"
  }
  assert {
    condition     = length(aws_route.private_nat) == 3 && length(aws_route_table_association.database) == 3
    error_message = "private subnets route to the internet through NAT; database subnets get their own (route-less) table"
  }
  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-west-1.s3"
    error_message = "S3 is reached through a gateway endpoint"
  }
  assert {
    condition     = alltrue([for s in ["sts", "ecr.api", "ecr.dkr", "logs", "kms", "secretsmanager"] : contains(keys(aws_vpc_endpoint.interface), s)])
    error_message = "interface endpoints exist for the APIs the jobs use"
  }
  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled])
    error_message = "interface endpoints use private DNS"
  }
  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_cloudwatch_log_group.flow_logs.retention_in_days == 365
    error_message = "flow logs record all traffic for a year"
  }
  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "the default security group allows nothing"
  }
}

run "single_nat_for_dev" {
  command = plan

  variables {
    single_nat_gateway = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1
    error_message = "single_nat_gateway creates one NAT gateway"
  }
}

run "rejects_one_az" {
  command = plan

  variables {
    azs = ["eu-west-1a"]
  }

  expect_failures = [var.azs]
}
