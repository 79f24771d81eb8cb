# envs/<env>/outputs.tf re-exports these. `terraform output -json helm_values` (in an env) produces the
# values overlay for the platform chart; its keys are exactly those of helm/hdp/values-eks.yaml
# (tests/infra/test_helm_values_contract.py checks it).
output "helm_values" {
  description = "Values for the Helm chart on EKS, shaped like helm/hdp/values-eks.yaml."
  value = {
    environment = var.environment
    aws = {
      region = var.region
    }
    serviceAccounts = {
      extract = {
        roleArn = module.iam.role_arns["extract"]
      }
      transform = {
        roleArn = module.iam.role_arns["transform"]
      }
      load = {
        roleArn = module.iam.role_arns["load"]
      }
      historyServer = {
        roleArn = module.iam.role_arns["history-server"]
      }
      airflow = {
        roleArn = module.iam.role_arns["airflow"]
      }
    }
    lake = {
      kmsKeyArn = module.lake.kms_key_arn
      buckets = {
        landing = module.lake.bucket_names["landing"]
        bronze  = module.lake.bucket_names["bronze"]
        silver  = module.lake.bucket_names["silver"]
        gold    = module.lake.bucket_names["gold"]
        control = module.lake.bucket_names["control"]
        dqDocs  = module.lake.bucket_names["dq-docs"]
      }
    }
    spark = {
      eventLog = {
        bucket = module.lake.bucket_names["spark-logs"]
        prefix = module.lake.event_log_prefix
      }
      decommission = {
        bucket = module.lake.bucket_names["spark-logs"]
        prefix = module.lake.decommission_prefix
      }
      driver = {
        nodeSelector = {
          "hdp.io/capacity" = "on-demand"
          "hdp.io/role"     = "spark-driver"
        }
      }
      executor = {
        nodeSelector = {
          "hdp.io/capacity" = "spot"
          "hdp.io/role"     = "spark-executor"
        }
        tolerations = [
          {
            key      = "hdp.io/capacity"
            operator = "Equal"
            value    = "spot"
            effect   = "NoSchedule"
          },
        ]
      }
    }
    airflow = {
      logs = {
        bucket = module.lake.bucket_names["spark-logs"]
        prefix = module.lake.airflow_log_prefix
      }
    }
    warehouse = {
      dialect           = "redshift"
      host              = module.warehouse.endpoint
      port              = module.warehouse.port
      database          = module.warehouse.database_name
      user              = module.warehouse.loader_db_user
      clusterIdentifier = module.warehouse.cluster_identifier
      copyRoleArn       = module.warehouse.copy_role_arn
    }
  }
}

output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "redshift_master_password_secret_arn" {
  description = "Secrets Manager secret with the generated Redshift admin password."
  value       = module.warehouse.master_password_secret_arn
}

output "nat_public_ips" {
  description = "Egress IPs of the VPC (for allow-lists at the sources)."
  value       = module.network.nat_public_ips
}

output "cloudtrail_bucket" {
  description = "Bucket with the CloudTrail log files."
  value       = module.audit.bucket_name
}

output "redshift_pause_resume_enabled" {
  description = "Whether Redshift is paused and resumed on a schedule (never in prod)."
  value       = module.warehouse.pause_resume_enabled
}

output "default_tags" {
  description = "Tags for the AWS provider's default_tags in the calling environment (environment, owner, data class)."
  value       = local.tags
}
