# Plans dev exactly as checked in (envs/dev/main.tf) with the shared mock of the AWS provider.
mock_provider "aws" {
  source = "../../mocks/aws"
}

run "dev" {
  command = plan

  assert {
    condition     = output.helm_values.environment == "dev" && output.helm_values.lake.buckets.bronze == "acme-hdp-dev-bronze"
    error_message = "helm_values describe dev and its buckets"
  }
  assert {
    condition     = module.platform.redshift_pause_resume_enabled
    error_message = "dev Redshift is paused nights and weekends"
  }
  assert {
    condition     = length(output.nat_public_ips) == 1
    error_message = "dev has a single NAT gateway"
  }
}
