@A1 @A2
Feature: Every call of every interface is in the audit log with the call's own values
  JR/T 0185-2020 7.3.3 1): 商业银行应对接口使用情况进行监控，完整记录接口访问日志。
  JR/T 0185-2020 7.3.3 2) a): 商业银行相关日志应至少包括交易流水号、应用唯一标识、接口唯一标识、调用耗时、时间戳、返回结果（成功或失败）等；
  JR/T 0185-2020 12.3 1): 应完整记录商业银行应用程序接口访问日志，日志记录应至少包括7.3.3所述日志内容。

  A record that exists proves little: its request id must be the one the caller got, its
  App_ID and U_API_ID the call's, its result the answer's, its duration above zero and
  below the round trip the harness measured, and its time inside the call. The audit
  writer batches, so each record is polled for.

  @JR0185-7.3.3/1 @JR0185-7.3.3/2a @JR0185-12.3/1
  Scenario: An accepted and a refused call of every interface each have an audit record with the call's values
    Given no interface changes state during this scenario
    Then the bank enforces "AUDIT-RECORDED" on every surface it guards
