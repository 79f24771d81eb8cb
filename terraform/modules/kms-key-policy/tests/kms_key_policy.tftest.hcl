# Plan-only tests with the shared mock of the AWS provider (terraform/mocks/aws).
mock_provider "aws" {
  source = "../../mocks/aws" # account 111122223333, eu-west-1
}

run "administration_only" {
  command = plan

  assert {
    condition     = length(output.document.Statement) == 1 && output.document.Statement[0].Principal.AWS == "arn:aws:iam::111122223333:root"
    error_message = "without log group or extra statements only the account administers the key"
  }
}

run "cloudwatch_logs_of_one_log_group" {
  command = plan

  variables {
    cloudwatch_log_group = "/aws/eks/hdp-test/cluster"
    extra_statements     = [{ Sid = "Example", Effect = "Allow", Principal = { Service = "example.amazonaws.com" }, Action = "kms:Decrypt", Resource = "*" }]
  }

  assert {
    condition     = [for s in output.document.Statement : s.Sid] == ["AccountAdministration", "Example", "CloudWatchLogs"]
    error_message = "administration, then the extra statements, then CloudWatch Logs"
  }
  assert {
    condition     = output.document.Statement[2].Principal.Service == "logs.eu-west-1.amazonaws.com" && output.document.Statement[2].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] == "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/eks/hdp-test/cluster"
    error_message = "CloudWatch Logs may use the key only for the named log group of this account and region"
  }
  assert {
    condition     = jsondecode(output.json) == output.document
    error_message = "json is the encoded document"
  }
}

run "log_group_is_a_name" {
  command = plan

  variables {
    cloudwatch_log_group = "aws/eks/hdp-test/cluster"
  }

  expect_failures = [var.cloudwatch_log_group]
}
