# Plans prod exactly as checked in (envs/prod/main.tf) with the shared mock of the AWS provider.
mock_provider "aws" {
  source = "../../mocks/aws"
}

run "prod" {
  command = plan

  assert {
    condition     = output.helm_values.environment == "prod" && output.helm_values.lake.buckets.gold == "acme-hdp-prod-gold"
    error_message = "helm_values describe prod and its buckets"
  }
  assert {
    condition     = !module.platform.redshift_pause_resume_enabled
    error_message = "prod Redshift is never paused"
  }
  assert {
    condition     = length(output.nat_public_ips) == 3
    error_message = "prod has a NAT gateway per AZ"
  }
}
