Feature: Partner credentials are registered per App_ID, expire, rotate, and are voided at exit
  JR/T 0185-2020 9.2.1 a) 1): 应用方准入审核通过后，商业银行配置唯一标识App_ID及与之相匹配的应用鉴别密文App_Secret、数字证书（或公私钥对）……对于采用公私钥对方式认证的情况，商业银行应对应用方上传的公钥进行登记。
  JR/T 0185-2020 7.3.4/3: 应依据商业银行应用程序接口等级设置不同的密钥有效期，并对密钥进行定期更新。
  JR/T 0185-2020 9.4: 应用方退出后，商业银行应对认证信息（如App_Secret、公私钥对等）进行作废处理，归档并保存待查。

  The harness generates its own keys and certificate and registers them through the admin
  API; the bank must hold them under their serials, accept only signatures by them while
  they are valid and active, and void and archive them when the App_ID exits.

  @A2 @JR0185-9.2.1/a1 @JR0185-7.2.1/a1 @JR0185-9.2.1/b1
  Scenario: A partner-uploaded signing key is registered under its serial and only its signatures are accepted
    Given an A2 app
    Then the bank's record of the app shows it as "active" with its credentials as "active"
    When the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 200
    When the app calls "POST /a2/v1/oauth/revoke" signed with an unregistered key with body:
      """
      token=anything
      """
    Then the bank answers 401 "SIGNATURE_INVALID"
    And the answer is signed by the bank

  @A1 @A2 @JR0185-7.3.4/3
  Scenario: App_Secrets of A2 apps are issued with a shorter validity than those of A1 apps
    Then App_Secrets issued to A2 apps expire sooner than those issued to A1 apps

  @A2 @JR0185-7.3.4/3 @JR0185-9.2.1/b4 @JR0185-9.2.1/a1
  Scenario: A signing key rotated to a new serial works at once and the retired one is refused
    Given an A2 app
    When the app registers a new signing key
    And the operator revokes the app's previous signing key
    And the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 200
    When the app calls "POST /a2/v1/oauth/revoke" with its previous signing key with body:
      """
      token=anything
      """
    Then the bank answers 401 "KEY_SERIAL_UNKNOWN"
    And the answer is signed by the bank

  @A1 @JR0185-7.3.4/3 @JR0185-9.2.2/1
  Scenario: After an App_Secret rotation without overlap only the new secret is accepted
    Given an A1 app
    When the operator rotates the app's App_Secret without overlap
    And the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200
    And the answer carries the app's MAC
    When the app calls "GET /a1/v1/products?page_size=1" with its previous App_Secret
    Then the bank answers 401 "KEY_SERIAL_UNKNOWN"

  @A2 @JR0185-9.4/1 @JR0185-9.2.1/b4
  Scenario: After an A2 App_ID exits its customers' consents end and its tokens are refused
    Given an A2 app
    And "zhangsan" has consented to the app for "accounts:read balances:read"
    When the app calls "GET /a2/v1/accounts" for "zhangsan"
    Then the bank answers 200
    And "zhangsan" sees the app's consent as "active" in the bank's portal
    When the operator makes the app exit
    And the app calls "GET /a2/v1/accounts" for "zhangsan"
    Then the bank answers 403 "APP_EXITED"
    And the answer is signed by the bank
    And "zhangsan" sees the app's consent as "revoked" in the bank's portal

  @A2 @JR0185-9.4/1
  Scenario: After an A2 App_ID exits its keys and certificate are refused and archived with its call records
    Given an A2 app
    When the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 200
    When the operator makes the app exit
    And the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 403 "APP_EXITED"
    And the answer is signed by the bank
    And the bank's record of the app shows it as "exited" with its credentials as "archived"
    And the audit log still holds the app's earlier calls

  @A1 @JR0185-9.4/1
  Scenario: After an A1 App_ID exits its App_Secret is refused and archived
    Given an A1 app
    When the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200
    When the operator makes the app exit
    And the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 403 "APP_EXITED"
    And the bank's record of the app shows it as "exited" with its credentials as "archived"
    And the audit log still holds the app's earlier calls
