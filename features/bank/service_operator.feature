@A1
Feature: The operator's management of App_IDs refuses what does not exist and records what it changes
  JR/T 0185-2020 9.2.1 a) 2): 商业银行应对App_ID进行统一存储和集中管理，通过App_ID进行应用认证、状态检查和权限控制。
  JR/T 0185-2020 7.3.1: 商业银行应根据不同应用方的服务需求，按照最小授权原则，对其相应接口权限进行授权管理，并定期进行重新评估与权限调整。
  JR/T 0185-2020 7.3.4 3): 应根据接口安全级别设置密钥有效期，定期对密钥进行更新。

  The bank manages every App_ID centrally: a change named to an App_ID that does not
  exist is refused and creates nothing, a key registered twice is a conflict (never a
  success that stored nothing), and every change to an App_ID's access is in its history
  with the change's own values.

  @JR0185-9.2.1/a2 @JR0185-7.3.1/1
  Scenario: The operator's interfaces refuse an App_ID that does not exist and create nothing
    Then the operator's interfaces answer an App_ID that does not exist with 404 "NOT_FOUND" and change nothing

  @JR0185-9.2.1/a2 @JR0185-7.3.4/3 @JR0185-7.3.1/1
  Scenario: A key registered twice is a conflict, and every change to an App_ID is in its history
    Given an A1 app
    Then a public key registered twice for the app is refused the second time with 409 "STATE_CONFLICT" and kept once
    And the app's history records its limits change and its credential's revocation with their values
