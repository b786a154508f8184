@A2
Feature: A2 calls are authenticated both ways, with a client certificate and an SM2 signature bound to the App_ID
  JR/T 0185-2020 6.2 A2: 若确需使用API直接连接方式进行服务调用，商业银行应对接入风险进行评估，并制定专门的接口与应用方进行对接，实施高等级的安全保护强度要求。
  JR/T 0185-2020 7.2.1 a) 2): 对于A2级别接口、应用方身份认证时，应使用包含数字证书或公私钥对的方式进行双向身份认证。
  JR/T 0185-2020 7.2.2/2: 对于A2级别的接口，商业银行和应用方应使用数字签名来保证数据的完整性和不可抵赖性。
  JR/T 0185-2020 9.2.1 b) 2): 对于A2类，应用方身份认证应使用1）中第二条至第四条给出的任意一种方式进行双向身份认证。
  JR/T 0185-2020 9.2.2: 对于A2类应采用数字签名等手段，保证商业银行与应用方之间数据传输的完整性与不可抵赖性。

  The probe is the token-revocation API (POST /a2/v1/oauth/revoke), which needs no user:
  the bank answers 200 to a correctly authenticated call whatever the token. Every
  variation of a missing, foreign or wrong certificate, signature or scheme is refused
  with a catalogued 401 or 403, and every answer, refusals included, is signed by the bank.

  Background:
    Given an A2 app

  @JR0185-6.2/A2c @JR0185-7.2.1/a1 @JR0185-7.2.1/a2 @JR0185-9.2.1/b2 @JR0185-9.2.2/2 @JR0185-7.2.2/2
  Scenario: A correctly signed A2 call over mutual TLS is accepted and its answer signed
    When the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 200
    And the answer is signed by the bank

  @JR0185-7.2.1/a2 @JR0185-9.2.1/b1 @JR0185-9.2.2/2
  Scenario: An A2 call without an Authorization header is refused
    When the app calls "POST /a2/v1/oauth/revoke" without an Authorization header with body:
      """
      token=anything
      """
    Then the bank answers 401 "AUTH_MISSING"
    And the answer is signed by the bank

  @JR0185-7.2.1/a2 @JR0185-9.2.1/b2 @JR0185-10.1.2/1b
  Scenario: An A2 call presenting another app's client certificate is refused as impersonation
    Given another A2 app
    When the app calls "POST /a2/v1/oauth/revoke" with another app's client certificate with body:
      """
      token=anything
      """
    Then the bank answers 403 "CLIENT_CERT_APP_MISMATCH"
    And the answer is signed by the bank
    And the bank has raised a "cert-app-mismatch" alarm for the app

  @JR0185-6.2/A2
  Scenario: Every account-information and payment API is published as A2 and refuses A1-style calls
    Then each of these APIs is published as interface type 02 and refuses an App_Secret MAC:
      | API                                              | called as                                                 |
      | GET /a2/v1/accounts                              | GET /a2/v1/accounts                                       |
      | GET /a2/v1/accounts/{account_id}                 | GET /a2/v1/accounts/ACC0000000000000000001                |
      | GET /a2/v1/accounts/{account_id}/balance         | GET /a2/v1/accounts/ACC0000000000000000001/balance        |
      | GET /a2/v1/accounts/{account_id}/transactions    | GET /a2/v1/accounts/ACC0000000000000000001/transactions   |
      | GET /a2/v1/accounts/{account_id}/limits          | GET /a2/v1/accounts/ACC0000000000000000001/limits         |
      | GET /a2/v1/holdings                              | GET /a2/v1/holdings                                       |
      | POST /a2/v1/payments                             | POST /a2/v1/payments                                      |
      | GET /a2/v1/payments/{payment_id}                 | GET /a2/v1/payments/PAYAAAAAAAAAAAAAAAAAAAA               |

  @JR0185-9.2.2/2 @JR0185-7.2.2/2 @JR0185-9.2.1/b1
  Scenario: An A2 call whose signature covers a different body is refused
    When the app calls "POST /a2/v1/oauth/revoke" signed over a different body with body:
      """
      token=anything
      """
    Then the bank answers 401 "SIGNATURE_INVALID"
    And the answer is signed by the bank

  @JR0185-9.2.2/2 @JR0185-7.1/1
  Scenario: An A2 signature made with a wrong distinguishing ID is refused
    When the app calls "POST /a2/v1/oauth/revoke" signed with a wrong distinguishing ID with body:
      """
      token=anything
      """
    Then the bank answers 401 "SIGNATURE_INVALID"

  @JR0185-9.2.2/2 @JR0185-7.1/1
  Scenario: An A2 signature sent as raw r||s instead of DER is refused
    When the app calls "POST /a2/v1/oauth/revoke" with a raw r||s signature instead of DER with body:
      """
      token=anything
      """
    Then the bank answers 401 "SIGNATURE_INVALID"

  @JR0185-7.1/1 @JR0185-9.2.2/2
  Scenario: Requests signed with non-national algorithms are refused
    When the app calls "POST /a2/v1/oauth/revoke" signed with ECDSA P-256 and SHA-256 instead of SM2 with body:
      """
      token=anything
      """
    Then the bank answers 401 "SIGNATURE_INVALID"
    Given an A1 app
    When the app calls "GET /a1/v1/products" with an HMAC-SHA256 MAC instead of HMAC-SM3
    Then the bank answers 401 "MAC_INVALID"
    When the app calls "GET /a1/v1/products" under an RSA-SHA256 authorization scheme
    Then the bank answers 401 "AUTH_MALFORMED"
