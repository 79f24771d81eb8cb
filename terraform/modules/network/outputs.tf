output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "Private subnets (one per AZ) for the EKS nodes; egress through NAT and VPC endpoints."
  value       = aws_subnet.private[*].id
}

output "database_subnet_ids" {
  description = "Isolated subnets (one per AZ, no internet route) for Redshift."
  value       = aws_subnet.database[*].id
}

output "public_subnet_ids" {
  description = "Public subnets (NAT gateways and internet-facing load balancers only)."
  value       = aws_subnet.public[*].id
}

output "s3_endpoint_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint, for security group egress rules to S3."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "interface_endpoint_services" {
  description = "AWS services reachable through interface endpoints."
  value       = sort(keys(aws_vpc_endpoint.interface))
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways (for allow-lists at the pharmacy API)."
  value       = aws_eip.nat[*].public_ip
}

output "flow_log_group_name" {
  description = "CloudWatch Logs group that receives the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
