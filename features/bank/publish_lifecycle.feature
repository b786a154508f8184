@A1
Feature: Interfaces are deprecated, terminated and taken offline in order, with notice
  JR/T 0185-2020 7.1: ……并就接口废止、变更等情况与应用方保持信息同步。
  JR/T 0185-2020 10.3: 商业银行应用程序接口发生变更时，应及时评估影响并告知应用方……按需进行接口变更发布。
  JR/T 0185-2020 11: 服务终止前，商业银行应将服务终止有关事项提前告知相关方……
    系统（接口）下线应在相关服务确认终止之后执行，在下线之前应设置挡板（如服务终止提示信息），明示应用方服务已终止。
    商业银行在系统（接口）下线之后应将有关数据进行归档处理……

  Lifecycle states are bank-global. These scenarios retire "a1.rates.deposit"
  (GET /a1/v1/deposit-rates), which no other feature uses, hold the harness's lifecycle
  lock exclusively while they do (scenarios that call every interface hold it shared),
  and have the bank reinstate it afterwards with the sandbox test control
  POST /admin/v1/apis/{api}/reinstate. Other features must not depend on
  /a1/v1/deposit-rates.

  @JR0185-7.1/6 @JR0185-10.3/1 @JR0185-11/1
  Scenario: A deprecation is announced everywhere, with its sunset date, before the interface stops
    Given this scenario alone may retire "a1.rates.deposit", which the bank reinstates afterwards
    And an A1 app
    And the OpenAPI document's version is noted
    When the operator deprecates "a1.rates.deposit" with a sunset in 30 days and the notice "replaced by /a1/v2/deposit-rates"
    Then the published catalogue shows "a1.rates.deposit" as "deprecated" with its sunset date
    And the OpenAPI document marks "a1.rates.deposit" deprecated with its sunset date
    And the OpenAPI document's version has changed
    And the change log's latest entry for "a1.rates.deposit" is "deprecated" with the sunset as effective date and the document's new version
    And the app was notified of the "deprecated" change of "a1.rates.deposit"
    When the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 200
    And the answer announces the deprecation with "Deprecation", the "Sunset" date and a notice

  @JR0185-11/3 @JR0185-11/1
  Scenario: A terminated interface answers SERVICE_TERMINATED with its U_API_ID until it is taken offline
    Given this scenario alone may retire "a1.rates.deposit", which the bank reinstates afterwards
    And an A1 app
    When the operator deprecates "a1.rates.deposit" with a sunset in 1 days and the notice "service ends"
    And the operator terminates "a1.rates.deposit"
    And the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 410 "SERVICE_TERMINATED"
    And the answer names the U_API_ID of "a1.rates.deposit" in its detail and its "X-JR-U-API-ID" header
    And the answer's detail carries the operator's notice "service ends"
    And the answer is signed by the bank
    And the published catalogue shows "a1.rates.deposit" as "terminated"
    And the app was notified of the "terminated" change of "a1.rates.deposit"
    When the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 410 "SERVICE_TERMINATED"
    When the operator takes offline "a1.rates.deposit"
    And the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 404 "ROUTE_NOT_FOUND"
    And the OpenAPI document no longer lists "a1.rates.deposit"

  @JR0185-11/4
  Scenario: Calls to an interface taken offline stay retrievable and the audit log still verifies
    Given this scenario alone may retire "a1.rates.deposit", which the bank reinstates afterwards
    And an A1 app
    When the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 200
    And the answer does not announce a deprecation
    And the answer's request id is noted
    When the operator deprecates "a1.rates.deposit" with a sunset in 1 days and the notice "service ends"
    And the operator terminates "a1.rates.deposit"
    And the operator takes offline "a1.rates.deposit"
    Then the published catalogue shows "a1.rates.deposit" as "offline"
    And the operator retrieves the noted call from the audit log with the U_API_ID of "a1.rates.deposit"
    And the bank's audit log verifies
