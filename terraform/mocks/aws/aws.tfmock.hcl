# Shared mock of the AWS provider for `terraform test`:
#   mock_provider "aws" { source = "../../mocks/aws" }
# (the path is relative to the module or environment under test). Requires Terraform >= 1.11
# (override_during).

mock_data "aws_caller_identity" {
  defaults = { account_id = "111122223333" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_region" {
  defaults = { name = "eu-west-1" }
}

# Computed nested blocks are empty lists in a mock: give the cluster an OIDC issuer and a CA at plan time.
mock_resource "aws_eks_cluster" {
  override_during = plan
  defaults = {
    identity              = [{ oidc = [{ issuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" }] }]
    certificate_authority = [{ data = "LS0tLS1CRUdJTi0tLS0t" }]
  }
}

# Known during plan, so the policies that name a key can be asserted on.
mock_resource "aws_kms_key" {
  override_during = plan
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"
    key_id = "00000000-0000-0000-0000-000000000000"
  }
}
