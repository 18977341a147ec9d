package gen

import (
	"strconv"
	"strings"
)

// reqIDKind says what requestID an event carries.
type reqIDKind uint8

const (
	ridUUID reqIDKind = iota
	ridS3             // 16 characters, as S3 writes them
	ridNone
)

// evType is the CloudTrail eventType.
type evType uint8

const (
	etAPICall evType = iota
	etConsoleSignIn
	etServiceEvent
)

// action is one kind of management event: its identity in CloudTrail and the
// functions that write its parameters.
type action struct {
	svc        string // IAM service prefix and endpoint label: ec2, iam, s3…
	source     string // eventSource
	name       string // eventName
	iamAction  string // svc:Action for error messages
	ver        string // eventVersion
	ro         bool
	global     bool   // always in the global region
	host       string // fixed host header; "" means <svc>.<region>.amazonaws.com
	apiVersion string
	rid        reqIDKind
	etype      evType
	s3         bool // S3 conventions: bracketed user agent, additionalEventData
	viaVPCE    bool // instance traffic goes through an interface/gateway endpoint
	denied     string
	throttled  [2]string
	notFound   [2]string // code, message ("%s" is replaced by the looked-up name)
	notFoundP  float64
	cliCmd     string
	goAPI      string
	req        func(b []byte, c *evCtx) []byte
	resp       func(b []byte, c *evCtx) []byte
	extra      func(b []byte, c *evCtx) []byte
}

var actionByName = map[string]*action{}

func def(svc, name string, ro bool, req, resp func(b []byte, c *evCtx) []byte, opts ...func(*action)) *action {
	a := &action{svc: svc, source: svc + ".amazonaws.com", name: name, ro: ro, ver: "1.09", req: req, resp: resp}
	a.iamAction = svc + ":" + strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(name, "v2"), "20150331"), "0123456789")
	switch svc {
	case "ec2":
		a.ver = "1.10"
		a.denied = "Client.UnauthorizedOperation"
		a.throttled = [2]string{"Client.RequestLimitExceeded", "Request limit exceeded."}
	case "iam", "sts":
		a.ver = "1.08"
		a.denied = "AccessDenied"
		a.throttled = [2]string{"Throttling", "Rate exceeded"}
	case "s3":
		a.ver = "1.10"
		a.rid = ridS3
		a.s3 = true
		a.viaVPCE = true
		a.denied = "AccessDenied"
		a.throttled = [2]string{"SlowDown", "Please reduce your request rate."}
	case "kms", "lambda", "logs", "ssm", "secretsmanager", "dynamodb", "ecr", "monitoring", "sso", "elasticloadbalancing":
		a.ver = "1.08"
		a.denied = "AccessDenied"
		if svc != "ssm" && svc != "monitoring" && svc != "elasticloadbalancing" {
			a.denied = "AccessDeniedException"
		}
		a.throttled = [2]string{"ThrottlingException", "Rate exceeded"}
	default:
		a.denied = "AccessDenied"
		a.throttled = [2]string{"ThrottlingException", "Rate exceeded"}
	}
	switch svc {
	case "kms", "ssm", "secretsmanager", "logs":
		a.viaVPCE = true
	case "iam":
		a.global = true
		a.host = "iam.amazonaws.com"
	case "lambda":
		a.apiVersion = "2015-03-31"
	case "sso":
		a.source = "sso.amazonaws.com"
	}
	cmd := svc
	if svc == "s3" {
		cmd = "s3api"
	} else if svc == "monitoring" {
		cmd = "cloudwatch"
	} else if svc == "elasticloadbalancing" {
		cmd = "elbv2"
	}
	a.cliCmd = cmd + "." + kebab(strings.TrimSuffix(strings.TrimSuffix(name, "v2"), "20150331"))
	a.goAPI = "api/" + cmd + "#1." + strconv.Itoa(10+int(hashStr(svc)%140)) + "." + strconv.Itoa(int(hashStr(name)%9))
	for _, o := range opts {
		o(a)
	}
	actionByName[name] = a
	return a
}

func kebab(s string) string {
	s = strings.TrimRight(s, "0123456789")
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c + 'a' - 'A')
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func notFound(code, msg string, p float64) func(*action) {
	return func(a *action) { a.notFound = [2]string{code, msg}; a.notFoundP = p }
}
func global(host string) func(*action) {
	return func(a *action) { a.global = true; a.host = host }
}
func withExtra(f func(b []byte, c *evCtx) []byte) func(*action) {
	return func(a *action) { a.extra = f }
}
func ver(v string) func(*action) { return func(a *action) { a.ver = v } }

// lit returns a writer of fixed JSON.
func lit(s string) func(b []byte, c *evCtx) []byte {
	return func(b []byte, c *evCtx) []byte { return append(b, s...) }
}

func init() {
	// EC2.
	def("ec2", "DescribeInstances", true, func(b []byte, c *evCtx) []byte {
		if c.r.chance(0.5) {
			b = append(b, `{"instancesSet":{"items":[{"instanceId":"`...)
			b = append(b, c.instance().id...)
			return append(b, `"}]},"filterSet":{}}`...)
		}
		b = append(b, `{"maxResults":1000,"instancesSet":{},"filterSet":{"items":[{"name":"instance-state-name","valueSet":{"items":[{"value":"running"}]}},{"name":"tag:Environment","valueSet":{"items":[{"value":"`...)
		b = append(b, pick(c.r, []string{"prod", "staging", "dev"})...)
		return append(b, `"}]}}]}}`...)
	}, nil, notFound("Client.InvalidInstanceID.NotFound", "The instance ID 'i-0%s' does not exist", 0.01))
	def("ec2", "DescribeSecurityGroups", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"securityGroupSet":{},"securityGroupIdSet":{"items":[{"groupId":"`...)
		b = append(b, pick(c.r, c.a.sgs)...)
		return append(b, `"}]},"filterSet":{}}`...)
	}, nil)
	def("ec2", "DescribeVolumes", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"volumeSet":{},"filterSet":{"items":[{"name":"attachment.instance-id","valueSet":{"items":[{"value":"`...)
		b = append(b, c.instance().id...)
		return append(b, `"}]}}]}}`...)
	}, nil)
	def("ec2", "DescribeTags", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"filterSet":{"items":[{"name":"resource-id","valueSet":{"items":[{"value":"`...)
		if c.s != nil && c.s.ec2 {
			b = append(b, c.s.name...)
		} else {
			b = append(b, c.instance().id...)
		}
		return append(b, `"}]}}]}}`...)
	}, nil)
	def("ec2", "DescribeNetworkInterfaces", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"networkInterfaceIdSet":{},"filterSet":{"items":[{"name":"addresses.private-ip-address","valueSet":{"items":[{"value":"`...)
		b = append(b, c.instance().ip...)
		return append(b, `"}]}}]}}`...)
	}, nil)
	def("ec2", "DescribeRegions", true, lit(`{"regionSet":{},"allRegions":false}`), nil)
	def("ec2", "DescribeImages", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"executableBySet":{},"imagesSet":{"items":[{"imageId":"`...)
		b = append(b, c.instance().ami...)
		return append(b, `"}]},"ownersSet":{},"includeDeprecated":false,"filterSet":{}}`...)
	}, nil)
	def("ec2", "CreateTags", false, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"resourcesSet":{"items":[{"resourceId":"`...)
		b = append(b, c.instance().id...)
		b = append(b, `"}]},"tagSet":{"items":[{"key":"`...)
		b = append(b, pick(c.r, []string{"Owner", "CostCenter", "Backup", "Patch Group"})...)
		b = append(b, `","value":"`...)
		b = append(b, pick(c.r, []string{"data-platform", "cc-4410", "daily", "prod-linux"})...)
		return append(b, `"}]}}`...)
	}, ec2Return)
	def("ec2", "StartInstances", false, instancesReq, stateChange(0, "pending", 80, "stopped"))
	def("ec2", "StopInstances", false, func(b []byte, c *evCtx) []byte {
		b = instancesReq(b, c)
		return append(b[:len(b)-1], `,"force":false}`...)
	}, stateChange(64, "stopping", 16, "running"))
	def("ec2", "TerminateInstances", false, instancesReq, stateChange(32, "shutting-down", 16, "running"))
	def("ec2", "RunInstances", false, runInstancesReq, runInstancesResp)
	def("ec2", "AuthorizeSecurityGroupIngress", false, func(b []byte, c *evCtx) []byte {
		c.strA = pick(c.r, c.a.sgs)
		b = append(b, `{"groupId":"`...)
		b = append(b, c.strA...)
		return append(b, `","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"10.0.0.0/16","description":"https from vpc"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`...)
	}, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"requestId":"`...)
		b = append(b, c.reqID...)
		b = append(b, `","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"`...)
		b = append(b, c.a.id...)
		b = append(b, `","groupId":"`...)
		b = append(b, c.strA...)
		b = append(b, `","securityGroupRuleId":"sgr-0`...)
		b = c.r.appendHex(b, 16, false)
		return append(b, `","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"10.0.0.0/16","description":"https from vpc"}]}}`...)
	})

	// IAM.
	def("iam", "GetUser", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "userName", c.userName())
	}, nil, notFound("NoSuchEntityException", "The user with name %s cannot be found.", 0.03))
	def("iam", "ListUsers", true, lit(`{"maxItems":100}`), nil)
	def("iam", "ListRoles", true, lit(`{"maxItems":1000}`), nil)
	def("iam", "GetRole", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "roleName", pick(c.r, c.a.roleNames))
	}, nil, notFound("NoSuchEntityException", "The role with name %s cannot be found.", 0.03))
	def("iam", "ListAccessKeys", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "userName", c.userName())
	}, nil)
	def("iam", "GetAccessKeyLastUsed", true, func(b []byte, c *evCtx) []byte {
		u := c.a.byName[c.userName()]
		k := ""
		if u != nil {
			k = u.accessKey(c.t)
		}
		if k == "" {
			k = awsID("AKIA", c.r.u64(), 16)
		}
		return appendJSONObj1(b, "accessKeyId", k)
	}, nil)
	def("iam", "ListAttachedRolePolicies", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "roleName", pick(c.r, c.a.roleNames))
	}, nil)
	def("iam", "GetPolicyVersion", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"policyArn":"arn:aws:iam::aws:policy/`...)
		b = append(b, pick(c.r, []string{"ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AmazonSSMManagedInstanceCore", "AWSLambdaBasicExecutionRole"})...)
		b = append(b, `","versionId":"v`...)
		b = strconv.AppendInt(b, int64(c.r.between(1, 120)), 10)
		return append(b, `"}`...)
	}, nil)
	def("iam", "AttachRolePolicy", false, func(b []byte, c *evCtx) []byte {
		c.strA = pick(c.r, c.a.roleNames)
		b = append(b, `{"roleName":"`...)
		b = append(b, c.strA...)
		b = append(b, `","policyArn":"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}`...)
		c.addResource("AWS::IAM::Role", "arn:aws:iam::"+c.a.id+":role/"+c.strA, c.a.id)
		return b
	}, nil)
	def("iam", "GetAccountSummary", true, nil, nil)
	def("iam", "ListMFADevices", true, nil, nil)
	def("iam", "CreateAccessKey", false, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "userName", c.strA)
	}, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"accessKey":{"userName":"`...)
		b = append(b, c.strA...)
		b = append(b, `","accessKeyId":"`...)
		b = append(b, c.strB...)
		b = append(b, `","status":"Active","createDate":"`...)
		b = appendLegacyDate(b, c.t)
		return append(b, `"}}`...)
	})
	def("iam", "UpdateAccessKey", false, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"userName":"`...)
		b = append(b, c.strA...)
		b = append(b, `","accessKeyId":"`...)
		b = append(b, c.strB...)
		b = append(b, `","status":"`...)
		b = append(b, c.strC...)
		return append(b, `"}`...)
	}, nil)
	def("iam", "DeleteAccessKey", false, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"userName":"`...)
		b = append(b, c.strA...)
		b = append(b, `","accessKeyId":"`...)
		b = append(b, c.strB...)
		return append(b, `"}`...)
	}, nil)

	// STS.
	def("sts", "GetCallerIdentity", true, nil, nil)
	def("sts", "AssumeRole", true, assumeRoleReq, assumeRoleResp)
	def("sts", "GetSessionToken", true, lit(`{"durationSeconds":43200}`), func(b []byte, c *evCtx) []byte {
		b = append(b, `{"credentials":{"accessKeyId":"ASIA`...)
		b = appendB32(b, c.r.u64(), 16)
		b = append(b, `","sessionToken":"`...)
		b = c.r.appendB64(b, 120)
		b = append(b, `","expiration":"`...)
		b = appendLegacyDate(b, c.t+43200)
		return append(b, `"}}`...)
	})
	def("sts", "AssumeRoleWithWebIdentity", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"roleArn":"arn:aws:iam::`...)
		b = append(b, c.a.id...)
		b = append(b, `:role/github-actions-deploy","roleSessionName":"GitHubActions","durationSeconds":3600}`...)
		c.addResource("AWS::IAM::Role", "arn:aws:iam::"+c.a.id+":role/github-actions-deploy", c.a.id)
		return b
	}, func(b []byte, c *evCtx) []byte {
		gh := c.a.byName["github-actions-deploy"]
		s := gh.sessions[0]
		b = append(b, `{"credentials":{"accessKeyId":"`...)
		b = s.appendKey(b, c.t)
		b = append(b, `","sessionToken":"`...)
		b = c.r.appendB64(b, 120)
		b = append(b, `","expiration":"`...)
		b = appendLegacyDate(b, s.issued(c.t)+3600)
		b = append(b, `"},"subjectFromWebIdentityToken":"`...)
		b = append(b, c.p.extra...)
		b = append(b, `","assumedRoleUser":{"assumedRoleId":"`...)
		b = append(b, s.pid...)
		b = append(b, `","arn":"`...)
		b = append(b, s.arn...)
		b = append(b, `"},"provider":"arn:aws:iam::`...)
		b = append(b, c.a.id...)
		return append(b, `:oidc-provider/token.actions.githubusercontent.com","audience":"sts.amazonaws.com"}`...)
	})

	// KMS.
	def("kms", "Decrypt", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{`...)
		switch c.r.intn(3) {
		case 0:
			b = append(b, `"SecretARN":"arn:aws:secretsmanager:`...)
			b = append(b, c.region...)
			b = append(b, ':')
			b = append(b, c.a.id...)
			b = append(b, ":secret:"...)
			b = append(b, pick(c.r, c.a.secrets)...)
			b = append(b, '-')
			b = c.r.appendChars(b, alnumMixed, 6)
			b = append(b, `","SecretVersionId":"`...)
			b = c.r.appendUUID(b)
			b = append(b, '"')
		case 1:
			b = append(b, `"PARAMETER_ARN":"arn:aws:ssm:`...)
			b = append(b, c.region...)
			b = append(b, ':')
			b = append(b, c.a.id...)
			b = append(b, ":parameter"...)
			b = append(b, pick(c.r, c.a.params)...)
			b = append(b, '"')
		default:
			b = append(b, `"aws:lambda:FunctionArn":"arn:aws:lambda:`...)
			b = append(b, c.region...)
			b = append(b, ':')
			b = append(b, c.a.id...)
			b = append(b, ":function:"...)
			b = append(b, pick(c.r, c.a.functions)...)
			b = append(b, '"')
		}
		b = append(b, "}}"...)
		c.addKMSResource()
		return b
	}, nil)
	def("kms", "GenerateDataKey", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"keyId":"arn:aws:kms:`...)
		k := c.addKMSResource()
		b = append(b, c.region...)
		b = append(b, ':')
		b = append(b, c.a.id...)
		b = append(b, ":key/"...)
		b = append(b, k...)
		b = append(b, `","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::`...)
		b = append(b, pick(c.r, c.a.buckets)...)
		b = append(b, `/`...)
		b = c.r.appendHex(b, 24, false)
		return append(b, `"},"keySpec":"AES_256"}`...)
	}, nil)
	def("kms", "DescribeKey", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"keyId":"alias/`...)
		b = append(b, pick(c.r, []string{"app-prod", "etl-data", "aws/s3", "aws/secretsmanager"})...)
		c.addKMSResource()
		return append(b, `"}`...)
	}, nil)
	def("kms", "RotateKey", false, nil, nil, func(a *action) { a.etype = etServiceEvent; a.rid = ridNone; a.ver = "1.08" })

	// Lambda.
	def("lambda", "ListFunctions20150331", true, nil, nil)
	def("lambda", "GetFunction20150331v2", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "functionName", pick(c.r, c.a.functions))
	}, nil, notFound("ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:%s", 0.02))
	def("lambda", "UpdateFunctionCode20150331v2", false, func(b []byte, c *evCtx) []byte {
		c.strA = pick(c.r, c.a.functions)
		b = append(b, `{"functionName":"arn:aws:lambda:`...)
		b = append(b, c.region...)
		b = append(b, ':')
		b = append(b, c.a.id...)
		b = append(b, ":function:"...)
		b = append(b, c.strA...)
		return append(b, `","publish":false,"dryRun":false}`...)
	}, lambdaConfigResp)

	// CloudWatch Logs.
	def("logs", "CreateLogStream", false, func(b []byte, c *evCtx) []byte {
		fn := pick(c.r, c.a.functions)
		if c.s != nil && c.s.role.name == "lambda-ingest-role" {
			fn = c.s.name
		}
		b = append(b, `{"logGroupName":"/aws/lambda/`...)
		b = append(b, fn...)
		b = append(b, `","logStreamName":"`...)
		b = appendDate(b, c.t, '/')
		b = append(b, `/[$LATEST]`...)
		b = c.r.appendHex(b, 32, false)
		return append(b, `"}`...)
	}, nil)
	def("logs", "DescribeLogGroups", true, lit(`{"logGroupNamePrefix":"/aws/lambda/"}`), nil)
	def("logs", "FilterLogEvents", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"logGroupName":"/aws/lambda/`...)
		b = append(b, pick(c.r, c.a.functions)...)
		b = append(b, `","startTime":`...)
		b = strconv.AppendInt(b, (c.t-3600)*1000, 10)
		b = append(b, `,"endTime":`...)
		b = strconv.AppendInt(b, c.t*1000, 10)
		return append(b, `,"filterPattern":"ERROR","interleaved":true}`...)
	}, nil)
	def("logs", "PutRetentionPolicy", false, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"logGroupName":"/aws/lambda/`...)
		b = append(b, pick(c.r, c.a.functions)...)
		return append(b, `","retentionInDays":30}`...)
	}, nil)

	// CloudTrail.
	def("cloudtrail", "DescribeTrails", true, lit(`{"trailNameList":[],"includeShadowTrails":true}`), nil)
	def("cloudtrail", "GetTrailStatus", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"name":"arn:aws:cloudtrail:`...)
		b = append(b, c.w.regions[0]...)
		b = append(b, ':')
		b = append(b, c.a.id...)
		b = append(b, ":trail/"...)
		b = append(b, c.w.cfg.TrailName...)
		return append(b, `"}`...)
	}, nil)
	def("cloudtrail", "GetEventSelectors", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "trailName", c.w.cfg.TrailName)
	}, nil)
	def("cloudtrail", "LookupEvents", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"lookupAttributes":[{"attributeKey":"`...)
		if c.r.chance(0.5) {
			b = append(b, `EventName","attributeValue":"`...)
			b = append(b, pick(c.r, []string{"ConsoleLogin", "RunInstances", "CreateAccessKey", "PutObject", "DeleteBucket"})...)
		} else {
			b = append(b, `Username","attributeValue":"`...)
			b = append(b, c.userName()...)
		}
		b = append(b, `"}],"startTime":"`...)
		b = appendLegacyDate(b, c.t-86400)
		b = append(b, `","endTime":"`...)
		b = appendLegacyDate(b, c.t)
		return append(b, `","maxResults":50}`...)
	}, nil)

	// CloudWatch.
	def("monitoring", "GetMetricData", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"metricDataQueries":[{"id":"m0","metricStat":{"metric":{"namespace":"AWS/EC2","metricName":"CPUUtilization","dimensions":[{"name":"InstanceId","value":"`...)
		b = append(b, c.instance().id...)
		b = append(b, `"}]},"period":300,"stat":"Average"},"returnData":true}],"startTime":"`...)
		b = appendLegacyDate(b, c.t-600)
		b = append(b, `","endTime":"`...)
		b = appendLegacyDate(b, c.t-300)
		return append(b, `"}`...)
	}, nil)
	def("monitoring", "DescribeAlarms", true, lit(`{"maxRecords":100}`), nil)
	def("monitoring", "ListMetrics", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "namespace", pick(c.r, []string{"AWS/EC2", "AWS/Lambda", "AWS/S3", "AWS/DynamoDB", "AWS/ApplicationELB"}))
	}, nil)
	def("elasticloadbalancing", "DescribeTargetHealth", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"targetGroupArn":"arn:aws:elasticloadbalancing:`...)
		b = append(b, c.region...)
		b = append(b, ':')
		b = append(b, c.a.id...)
		b = append(b, `:targetgroup/app-tg/`...)
		b = appendHexWord(b, hashStr(c.a.id+c.region), 16)
		return append(b, `"}`...)
	}, nil, func(a *action) { a.apiVersion = "2015-12-01" })

	// SSM, Secrets Manager, DynamoDB, ECR.
	def("ssm", "GetParameter", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"name":"`...)
		b = append(b, pick(c.r, c.a.params)...)
		return append(b, `","withDecryption":true}`...)
	}, nil, notFound("ParameterNotFound", "Parameter %s not found.", 0.01))
	def("ssm", "GetParameters", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"names":["`...)
		b = append(b, c.a.params[0]...)
		b = append(b, `","`...)
		b = append(b, c.a.params[1+c.r.intn(len(c.a.params)-1)]...)
		return append(b, `"],"withDecryption":true}`...)
	}, nil)
	def("ssm", "UpdateInstanceInformation", false, func(b []byte, c *evCtx) []byte {
		in := c.instance()
		if c.s != nil && c.s.ec2 {
			in = c.a.instanceByID(c.s.name)
		}
		b = append(b, `{"instanceId":"`...)
		b = append(b, in.id...)
		b = append(b, `","agentVersion":"3.3.131.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023","iPAddress":"`...)
		b = append(b, in.ip...)
		b = append(b, `","computerName":"ip-`...)
		b = append(b, strings.ReplaceAll(in.ip, ".", "-")...)
		b = append(b, `.ec2.internal","agentName":"amazon-ssm-agent","availabilityZone":"`...)
		b = append(b, in.az...)
		b = append(b, `","availabilityZoneId":"`...)
		b = append(b, azIDPrefix(in.region)...)
		b = append(b, "-az"...)
		b = append(b, byte('1'+in.az[len(in.az)-1]-'a'))
		return append(b, `","sSMConnectionChannel":"ssmmessages"}`...)
	}, nil, func(a *action) { a.ver = "1.08" })
	def("ssm", "ListInstanceAssociations", true, func(b []byte, c *evCtx) []byte {
		in := c.instance()
		if c.s != nil && c.s.ec2 {
			in = c.a.instanceByID(c.s.name)
		}
		b = append(b, `{"instanceId":"`...)
		b = append(b, in.id...)
		return append(b, `","maxResults":50}`...)
	}, nil)
	def("secretsmanager", "GetSecretValue", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "secretId", pick(c.r, c.a.secrets))
	}, nil, notFound("ResourceNotFoundException", "Secrets Manager can't find the specified secret.", 0.01))
	def("secretsmanager", "DescribeSecret", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "secretId", pick(c.r, c.a.secrets))
	}, nil)
	def("dynamodb", "DescribeTable", true, func(b []byte, c *evCtx) []byte {
		t := pick(c.r, c.a.tables)
		c.addResource("AWS::DynamoDB::Table", "arn:aws:dynamodb:"+c.region+":"+c.a.id+":table/"+t, c.a.id)
		return appendJSONObj1(b, "tableName", t)
	}, nil)
	def("dynamodb", "ListTables", true, nil, nil)
	def("ecr", "GetAuthorizationToken", true, nil, nil)

	// Sign-in and Identity Center.
	def("signin", "ConsoleLogin", false, nil, func(b []byte, c *evCtx) []byte {
		return append(b, `{"ConsoleLogin":"Success"}`...)
	}, global("signin.aws.amazon.com"), ver("1.08"), func(a *action) {
		a.etype = etConsoleSignIn
		a.rid = ridNone
		a.extra = func(b []byte, c *evCtx) []byte {
			b = append(b, `{"LoginTo":"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_`...)
			b = append(b, c.region...)
			b = append(b, '_')
			b = c.r.appendHex(b, 16, false)
			b = append(b, `","MobileVersion":"No","MFAUsed":"`...)
			if c.p.mfa {
				return append(b, `Yes"}`...)
			}
			return append(b, `No"}`...)
		}
	})
	def("sso", "ListAccounts", true, nil, nil, global("portal.sso.us-east-1.amazonaws.com"))
	def("sso", "ListAccountRoles", true, func(b []byte, c *evCtx) []byte {
		return appendJSONObj1(b, "accountId", pick(c.r, c.w.cfg.Accounts))
	}, nil, global("portal.sso.us-east-1.amazonaws.com"))
	def("sso", "GetRoleCredentials", true, func(b []byte, c *evCtx) []byte {
		b = append(b, `{"accountId":"`...)
		b = append(b, pick(c.r, c.w.cfg.Accounts)...)
		b = append(b, `","roleName":"`...)
		b = append(b, pick(c.r, []string{"AdministratorAccess", "ReadOnlyAccess"})...)
		return append(b, `"}`...)
	}, nil, global("portal.sso.us-east-1.amazonaws.com"))

	// S3 management (bucket-level) events.
	bucketReq := func(extra string) func(b []byte, c *evCtx) []byte {
		return func(b []byte, c *evCtx) []byte {
			bk := pick(c.r, c.a.buckets)
			b = append(b, `{"bucketName":"`...)
			b = append(b, bk...)
			b = append(b, `","Host":"`...)
			b = append(b, bk...)
			b = append(b, ".s3."...)
			b = append(b, c.region...)
			b = append(b, `.amazonaws.com"`...)
			b = append(b, extra...)
			c.addResource("AWS::S3::Bucket", "arn:aws:s3:::"+bk, c.a.id)
			c.host = bk + ".s3." + c.region + ".amazonaws.com"
			return append(b, '}')
		}
	}
	def("s3", "ListBuckets", true, func(b []byte, c *evCtx) []byte {
		c.host = "s3." + c.region + ".amazonaws.com"
		b = append(b, `{"Host":"`...)
		b = append(b, c.host...)
		return append(b, `"}`...)
	}, nil, withExtra(s3Extra))
	def("s3", "GetBucketLocation", true, bucketReq(`,"location":""`), nil, withExtra(s3Extra))
	def("s3", "GetBucketPolicy", true, bucketReq(`,"policy":""`), nil, withExtra(s3Extra), notFound("NoSuchBucketPolicy", "The bucket policy does not exist", 0.3))
	def("s3", "GetBucketVersioning", true, bucketReq(`,"versioning":""`), nil, withExtra(s3Extra))
	def("s3", "GetBucketEncryption", true, bucketReq(`,"encryption":""`), nil, withExtra(s3Extra), notFound("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", 0.1))
	def("s3", "GetBucketAcl", true, bucketReq(`,"acl":""`), nil, withExtra(s3Extra))
	def("s3", "GetBucketTagging", true, bucketReq(`,"tagging":""`), nil, withExtra(s3Extra), notFound("NoSuchTagSet", "The TagSet does not exist", 0.4))
	def("s3", "GetBucketPublicAccessBlock", true, bucketReq(`,"publicAccessBlock":""`), nil, withExtra(s3Extra))
}

// userName names an IAM user of the account, for calls about users.
func (c *evCtx) userName() string {
	for i := 0; i < 4; i++ {
		p := c.a.principals[c.r.intn(len(c.a.principals))]
		if p.kind == kIAMUser {
			return p.name
		}
	}
	return "terraform-ci"
}

func appendJSONObj1(b []byte, k, v string) []byte {
	b = append(b, `{"`...)
	b = append(b, k...)
	b = append(b, `":`...)
	b = appendJSONString(b, v)
	return append(b, '}')
}

func ec2Return(b []byte, c *evCtx) []byte {
	b = append(b, `{"requestId":"`...)
	b = append(b, c.reqID...)
	return append(b, `","_return":true}`...)
}

func instancesReq(b []byte, c *evCtx) []byte {
	c.inst = c.instance()
	b = append(b, `{"instancesSet":{"items":[{"instanceId":"`...)
	b = append(b, c.inst.id...)
	return append(b, `"}]}}`...)
}

func stateChange(code int, name string, pcode int, pname string) func(b []byte, c *evCtx) []byte {
	return func(b []byte, c *evCtx) []byte {
		b = append(b, `{"requestId":"`...)
		b = append(b, c.reqID...)
		b = append(b, `","instancesSet":{"items":[{"instanceId":"`...)
		b = append(b, c.inst.id...)
		b = append(b, `","currentState":{"code":`...)
		b = strconv.AppendInt(b, int64(code), 10)
		b = append(b, `,"name":"`...)
		b = append(b, name...)
		b = append(b, `"},"previousState":{"code":`...)
		b = strconv.AppendInt(b, int64(pcode), 10)
		b = append(b, `,"name":"`...)
		b = append(b, pname...)
		return append(b, `"}}]}}`...)
	}
}

func runInstancesReq(b []byte, c *evCtx) []byte {
	in := c.inst
	if in == nil {
		in = c.a.newInstance(c.r, c.w.regionIdx(c.region), 10+c.a.idx, 1+c.r.intn(3), 0)
		c.inst = in
	}
	b = append(b, `{"instancesSet":{"items":[{"imageId":"`...)
	b = append(b, in.ami...)
	b = append(b, `","minCount":1,"maxCount":1}]},"instanceType":"`...)
	b = append(b, in.itype...)
	b = append(b, `","blockDeviceMapping":{},"monitoring":{"enabled":false},"disableApiTermination":false,"disableApiStop":false,"clientToken":"`...)
	b = c.r.appendUUID(b)
	b = append(b, `","networkInterfaceSet":{"items":[{"deviceIndex":0,"subnetId":"`...)
	b = append(b, in.subnet...)
	b = append(b, `","groupSet":{"items":[{"groupId":"`...)
	b = append(b, in.sg...)
	b = append(b, `"}]}}]},"metadataOptions":{"httpTokens":"required","httpPutResponseHopLimit":2},"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Name","value":"`...)
	b = append(b, c.instName...)
	return append(b, `"}]}]}}`...)
}

// runInstancesResp writes a RunInstances response the way EC2 logs it: the
// reservation, and per instance its id, state, private IP, and network
// interfaces with their private IP addresses.
func runInstancesResp(b []byte, c *evCtx) []byte {
	in := c.inst
	dns := "ip-" + strings.ReplaceAll(in.ip, ".", "-") + "." + regionDNS(in.region)
	launch := c.t * 1000
	b = append(b, `{"requestId":"`...)
	b = append(b, c.reqID...)
	b = append(b, `","reservationId":"r-0`...)
	b = c.r.appendHex(b, 16, false)
	b = append(b, `","ownerId":"`...)
	b = append(b, c.a.id...)
	b = append(b, `","groupSet":{},"instancesSet":{"items":[{"instanceId":"`...)
	b = append(b, in.id...)
	b = append(b, `","imageId":"`...)
	b = append(b, in.ami...)
	b = append(b, `","currentInstanceBootMode":"legacy-bios","instanceState":{"code":0,"name":"pending"},"privateDnsName":"`...)
	b = append(b, dns...)
	b = append(b, `","amiLaunchIndex":0,"productCodes":{},"instanceType":"`...)
	b = append(b, in.itype...)
	b = append(b, `","launchTime":`...)
	b = strconv.AppendInt(b, launch, 10)
	b = append(b, `,"placement":{"availabilityZone":"`...)
	b = append(b, in.az...)
	b = append(b, `","tenancy":"default"},"monitoring":{"state":"disabled"},"subnetId":"`...)
	b = append(b, in.subnet...)
	b = append(b, `","vpcId":"`...)
	b = append(b, in.vpc...)
	b = append(b, `","privateIpAddress":"`...)
	b = append(b, in.ip...)
	b = append(b, `","stateReason":{"code":"pending","message":"pending"},"architecture":"x86_64","rootDeviceType":"ebs","rootDeviceName":"/dev/xvda","blockDeviceMapping":{},"virtualizationType":"hvm","clientToken":"`...)
	b = c.r.appendUUID(b)
	b = append(b, `","tagSet":{"items":[{"key":"Name","value":"`...)
	b = append(b, c.instName...)
	b = append(b, `"}]},"groupSet":{"items":[{"groupId":"`...)
	b = append(b, in.sg...)
	b = append(b, `","groupName":"default"}]},"sourceDestCheck":true,"hypervisor":"xen","networkInterfaceSet":{"items":[{"networkInterfaceId":"`...)
	b = append(b, in.eni...)
	b = append(b, `","subnetId":"`...)
	b = append(b, in.subnet...)
	b = append(b, `","vpcId":"`...)
	b = append(b, in.vpc...)
	b = append(b, `","ownerId":"`...)
	b = append(b, c.a.id...)
	b = append(b, `","status":"in-use","macAddress":"0e:`...)
	for i := 0; i < 5; i++ {
		if i > 0 {
			b = append(b, ':')
		}
		b = c.r.appendHex(b, 2, false)
	}
	b = append(b, `","privateIpAddress":"`...)
	b = append(b, in.ip...)
	b = append(b, `","privateDnsName":"`...)
	b = append(b, dns...)
	b = append(b, `","sourceDestCheck":true,"interfaceType":"interface","groupSet":{"items":[{"groupId":"`...)
	b = append(b, in.sg...)
	b = append(b, `","groupName":"default"}]},"attachment":{"attachmentId":"eni-attach-0`...)
	b = c.r.appendHex(b, 16, false)
	b = append(b, `","deviceIndex":0,"networkCardIndex":0,"status":"attaching","attachTime":`...)
	b = strconv.AppendInt(b, launch, 10)
	b = append(b, `,"deleteOnTermination":true},"privateIpAddressesSet":{"item":[{"privateIpAddress":"`...)
	b = append(b, in.ip...)
	b = append(b, `","privateDnsName":"`...)
	b = append(b, dns...)
	b = append(b, `","primary":true}]},"ipv6AddressesSet":{},"tagSet":{}}]},"ebsOptimized":false,"enaSupport":true,"cpuOptions":{"coreCount":1,"threadsPerCore":2},"capacityReservationSpecification":{"capacityReservationPreference":"open"},"enclaveOptions":{"enabled":false},"metadataOptions":{"state":"pending","httpTokens":"required","httpPutResponseHopLimit":2,"httpEndpoint":"enabled","httpProtocolIpv4":"enabled","httpProtocolIpv6":"disabled","instanceMetadataTags":"disabled"},"maintenanceOptions":{"autoRecovery":"default"},"privateDnsNameOptions":{"hostnameType":"ip-name","enableResourceNameDnsARecord":false,"enableResourceNameDnsAAAARecord":false}}]}}`...)
	return b
}

// azIDPrefix returns the zone-id prefix of a region: us-east-1 → use1.
func azIDPrefix(region string) string {
	p := strings.Split(region, "-")
	if len(p) < 3 || p[1] == "" {
		return region
	}
	return p[0] + p[1][:1] + p[len(p)-1]
}

func regionDNS(region string) string {
	if region == "us-east-1" {
		return "ec2.internal"
	}
	return region + ".compute.internal"
}

func assumeRoleReq(b []byte, c *evCtx) []byte {
	// Choose the role and session being assumed.
	a := c.a
	var s *session
	switch c.p.kind {
	case kService:
		switch c.r.intn(3) {
		case 0:
			s = pick(c.r, a.byName["app-server-role"].sessions)
			c.strA = "ec2.amazonaws.com"
		case 1:
			s = pick(c.r, a.byName["lambda-ingest-role"].sessions)
			c.strA = "lambda.amazonaws.com"
		default:
			s = pick(c.r, a.byName["etl-batch-role"].sessions)
			c.strA = "ecs-tasks.amazonaws.com"
		}
	case kAWSAccount:
		role := a.byName["cross-account-audit"]
		if len(role.sessions) == 0 {
			a.addSession(role, "audit-"+c.p.extra, "", "", 3600, false)
		}
		s = role.sessions[0]
	default:
		admin := a.byName["AdminRole"]
		s = admin.sessions[c.r.intn(len(admin.sessions))]
	}
	c.target = s
	if s.region != "" && c.p.kind == kService {
		c.region = s.region // the service assumes the role where it runs
	}
	b = append(b, `{"roleArn":"`...)
	b = append(b, s.role.arn...)
	b = append(b, `","roleSessionName":"`...)
	b = append(b, s.name...)
	if c.p.kind != kService {
		b = append(b, `","durationSeconds":3600}`...)
	} else {
		b = append(b, `"}`...)
	}
	c.addResource("AWS::IAM::Role", s.role.arn, a.id)
	return b
}

func assumeRoleResp(b []byte, c *evCtx) []byte {
	s := c.target
	b = append(b, `{"credentials":{"accessKeyId":"`...)
	b = s.appendKey(b, c.t)
	b = append(b, `","sessionToken":"`...)
	b = c.r.appendB64(b, 120)
	b = append(b, `","expiration":"`...)
	b = appendLegacyDate(b, s.issued(c.t)+s.period)
	b = append(b, `"},"assumedRoleUser":{"assumedRoleId":"`...)
	b = append(b, s.pid...)
	b = append(b, `","arn":"`...)
	b = append(b, s.arn...)
	return append(b, `"}}`...)
}

func lambdaConfigResp(b []byte, c *evCtx) []byte {
	b = append(b, `{"functionName":"`...)
	b = append(b, c.strA...)
	b = append(b, `","functionArn":"arn:aws:lambda:`...)
	b = append(b, c.region...)
	b = append(b, ':')
	b = append(b, c.a.id...)
	b = append(b, ":function:"...)
	b = append(b, c.strA...)
	b = append(b, `","runtime":"python3.12","role":"arn:aws:iam::`...)
	b = append(b, c.a.id...)
	b = append(b, `:role/lambda-ingest-role","handler":"app.handler","codeSize":`...)
	b = strconv.AppendInt(b, int64(c.r.between(40000, 9000000)), 10)
	b = append(b, `,"description":"","timeout":30,"memorySize":512,"lastModified":"`...)
	b = appendISO(b, c.t)
	b = append(b[:len(b)-1], `.000+0000","codeSha256":"`...)
	b = c.r.appendB64(b, 32)
	b = append(b, `","version":"$LATEST","tracingConfig":{"mode":"PassThrough"},"revisionId":"`...)
	b = c.r.appendUUID(b)
	b = append(b, `","state":"Active","lastUpdateStatus":"InProgress","lastUpdateStatusReason":"The function is being created.","lastUpdateStatusReasonCode":"Creating","packageType":"Zip","architectures":["x86_64"],"ephemeralStorage":{"size":512},"snapStart":{"applyOn":"None","optimizationStatus":"Off"},"loggingConfig":{"logFormat":"Text","logGroup":"/aws/lambda/`...)
	b = append(b, c.strA...)
	return append(b, `"}}`...)
}

// s3Extra writes additionalEventData of S3 bucket-level calls.
func s3Extra(b []byte, c *evCtx) []byte {
	b = append(b, `{"SignatureVersion":"SigV4","CipherSuite":"`...)
	b = append(b, c.cipher...)
	b = append(b, `","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"`...)
	b = c.r.appendHostID(b)
	b = append(b, `","bytesTransferredOut":`...)
	if c.failed {
		b = strconv.AppendInt(b, int64(c.r.between(200, 320)), 10)
	} else {
		b = strconv.AppendInt(b, int64(c.r.between(180, 4200)), 10)
	}
	return append(b, '}')
}
