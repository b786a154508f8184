@A1
Feature: The partner lists the bank's products with integrity-protected A1 calls
  JR/T 0185-2020 9.2.2 1）对于A1类应采用MAC校验等手段，保证商业银行与应用方之间数据传输的完整性。
  9.2.2 3）应采用SSL/TLS等安全通道连接进行通信，宜使用TLS 1.2及以上版本。
  9.3.3 1）应对数据完整性进行校验，并在检测到完整性错误时采取必要的恢复措施（或停止执行请求）。

  The harness asks the partner to list the bank's products. The bank judges the calls it
  receives; the harness compares the partner's answer with what the bank publishes.

  Background:
    Given the partner under test, onboarded at the bank

  @JR0185-9.2.2/1 @JR0185-9.2.2/3
  Scenario: The partner lists the products with a MAC or signature the bank verifies, over TLS 1.2 or later
    When the partner is asked to list the products
    Then the partner answered with the products the bank publishes
    And every request the partner made carried a MAC or signature the bank verified
    And every call the partner made used TLS 1.2 or later
    And the bank refused no TLS handshake during the scenario

  @JR0185-9.2.2/1 @JR0185-9.3.3/1
  Scenario: The partner does not show a product list whose answer was tampered with
    Given the bank will "tamper-body" its next answer to the partner
    When the partner is asked to list the products
    Then the partner refused with "integrity_failure"
    When the partner is asked to list the products
    Then the partner answered with the products the bank publishes
