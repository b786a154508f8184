@A1 @A2
Feature: The partner sends nothing to a server that is not the bank
  JR/T 0185-2020 9.2.2 3）应采用SSL/TLS等安全通道连接进行通信，宜使用TLS 1.2及以上版本。
  7.2.1 a）2）对于A2级别接口……应使用包含数字证书或公私钥对的方式进行双向身份认证。

  The harness runs an impostor bank on 127.0.0.1 and configures the partner again with
  its address as the bank's (the same CA, credentials and keys). The partner must refuse
  the impostor's certificate — self-signed, or issued by the sandbox CA for another name —
  before it sends any credential or signed request. Afterwards the partner is configured
  back to the real bank.

  Background:
    Given the partner under test, onboarded at the bank
    And the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"

  @JR0185-9.2.2/3 @JR0185-7.2.1/a2
  Scenario: The partner refuses a bank endpoint whose certificate does not chain to the sandbox CA
    Given an impostor bank on 127.0.0.1 with a self-signed certificate
    When the partner is configured again with the impostor's address as the bank's
    And the partner is asked to list the products
    And the partner is asked for the balance of the user's first account
    Then no request reached the impostor
    And the partner showed nothing the impostor sent

  @JR0185-9.2.2/3 @JR0185-7.2.1/a2
  Scenario: The partner refuses a bank endpoint whose certificate chains to the sandbox CA but names another host
    Given an impostor bank on 127.0.0.1 with a certificate from the sandbox CA for another name
    When the partner is configured again with the impostor's address as the bank's
    And the partner is asked to list the products
    And the partner is asked for the balance of the user's first account
    Then no request reached the impostor
    And the partner showed nothing the impostor sent
