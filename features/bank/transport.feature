@A1 @A2
Feature: The bank speaks TLS 1.2 or later only
  JR/T 0185-2020 9.2.2: 宜使用TLS 1.2及以上版本的安全传输协议，保证数据传输的安全性。

  Every interface is reached over HTTPS with TLS 1.2 or 1.3; plain HTTP and the
  obsolete TLS 1.0 and 1.1 are refused at the handshake.

  Background:
    Given an A1 app

  @JR0185-9.2.2/3
  Scenario: A TLS 1.1 handshake is refused
    When the app calls "GET /a1/v1/products" over TLS 1.1
    Then the bank refuses the connection

  @JR0185-9.2.2/3
  Scenario: Plain HTTP is not served
    When a client sends a plain HTTP request to the bank's API port
    Then the bank does not serve it
