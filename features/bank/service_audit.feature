@A1
Feature: Every call is in the bank's tamper-evident access log
  JR/T 0185-2020 7.3.3: 商业银行应对接口使用情况进行监控，完整记录接口访问日志。商业银行相关日志应至少包括交易流水号、应用唯一标识、接口唯一标识、调用耗时、时间戳、返回结果（成功或失败）等；
  JR/T 0185-2020 12.3: 应完整记录商业银行应用程序接口访问日志……依据商业服务需求和风险控制要求，遵循最少够用原则适当保留应用方上送报文（全部或部分信息）。应对日志记录进行完整性保护，确保日志不被篡改、删除、覆盖。
  JR/T 0185-2020 10.1.1: 商业银行交易日志应按照国家会计准则要求予以保存，系统日志保存期限不少于1年。

  The harness reads the bank's audit log through the admin API: each call it made,
  accepted or refused, is there once under the request id it was given, with App_ID,
  U_API_ID, duration, time and result. The log verifies, and a copy with one record
  altered, deleted or overwritten fails verification naming that record.

  Background:
    Given an A1 app

  @JR0185-7.3.3/1 @JR0185-7.3.3/2a @JR0185-12.3/1
  Scenario: Accepted and refused calls are each logged once with the 7.3.3 items
    When the app calls "GET /a1/v1/products?page_size=1"
    And the app calls "GET /a1/v1/products?page_size=1&unknown=1"
    And the app calls "GET /a1/v1/products/XYZ9999"
    And the app calls "GET /a1/v1/deposit-rates" with a MAC under a wrong secret
    Then every call of the scenario is in the bank's audit log exactly once with its request id, App_ID, U_API_ID, duration, time and result

  @JR0185-12.3/2
  Scenario: The log keeps the message digest and signature but masks card numbers
    When the app calls "POST /a1/v1/products" with body:
      """
      {"payee_card":"6222021234567890128","note":"probe"}
      """
    Then the bank answers 405 "METHOD_NOT_ALLOWED"
    And the audit record of the last call keeps the body's SM3 digest and the request's signature
    And the audit record of the last call does not contain "6222021234567890128"

  @JR0185-12.3/3
  Scenario: The audit log verifies after the calls
    When the app calls "GET /a1/v1/products?page_size=1" 2 times
    And the app calls "GET /a1/v1/products?page_size=1&unknown=1"
    Then the bank's audit log verifies

  @JR0185-12.3/3
  Scenario: An altered audit record fails verification naming it
    When the app calls "GET /a1/v1/products?page_size=1" 2 times
    And the operator alters the audit record of the last call in a copy of the log
    Then the verification of the copy fails naming that record
    And the bank's audit log verifies

  @JR0185-12.3/3
  Scenario: A deleted audit record fails verification naming it
    When the app calls "GET /a1/v1/products?page_size=1" 2 times
    And the operator deletes the audit record of the last call in a copy of the log
    Then the verification of the copy fails naming that record

  @JR0185-12.3/3
  Scenario: An overwritten audit record fails verification naming it
    When the app calls "GET /a1/v1/products?page_size=1" 2 times
    And the operator overwrites the audit record of the last call in a copy of the log
    Then the verification of the copy fails naming that record

  @JR0185-10.1.1/2c
  Scenario: Audit records are still served after more than a year
    When the app calls "GET /a1/v1/products?page_size=1" 2 times
    Then with the sandbox clock advanced by 370 days the audit record of the first call is still retrievable
    And the bank's audit log verifies
