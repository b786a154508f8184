@A1 @A2
Feature: The bank serves a developer manual with worked examples that verify
  JR/T 0185-2020 12.1: 应提供开发手册以指导应用方安全集成商业银行应用程序接口，开发手册包括但不限于安全集成要求、集成示例，以及测试环境的使用等。

  The manual (/docs/manual, no credentials) has sections on the security integration
  requirements, signing, encryption, worked examples and the test environment; the
  harness recomputes the worked examples with its own HMAC-SM3 and SM2 (tjfoc/gmsm).

  @JR0185-12.1/5
  Scenario: The developer manual covers security integration and the test environment, with worked examples that verify
    When the developer manual is fetched without credentials
    Then the manual has a section "security" that mentions "TLS 1.2", "JR0185-HMAC-SM3", "JR0185-SM2-SM3", "nonce" and "X-JR-Signature"
    And the manual has a section "signing" that mentions "string to sign" and "1234567812345678"
    And the manual has a section "encryption" that mentions "SM4-GCM" and "SM2"
    And the manual has a section "examples" that mentions "App_ID" and "Signature"
    And the manual has a section "test-environment" that mentions "Test users", "Magic values" and "/partners/v1/registrations"
    And the manual's worked MAC example verifies with the harness's own HMAC-SM3
    And the manual's worked SM2 example verifies with the harness's own SM2
