@A1 @A2
Feature: The bank's own keys are SM2, separate for signing and encryption, and rotate without breaking verification
  JR/T 0185-2020 7.1: 使用的密码算法、技术及产品应符合国家密码管理部门及行业主管部门要求。
  JR/T 0185-2020 7.3.4/1: 加密和签名宜分配不同的密钥，且相互分离。
  JR/T 0185-2020 7.3.4/3: 应依据商业银行应用程序接口等级设置不同的密钥有效期，并对密钥进行定期更新。

  The bank publishes its signing certificates (/pki/bank-sign.crt, all of them at
  /pki/bank-sign-certs.pem) and its encryption certificate (/pki/bank-enc.crt). After the
  operator rotates the signing key, answers carry the new serial and what the old key
  signed still verifies against the published list.

  @JR0185-7.1/1 @JR0185-7.3.4/1
  Scenario: The bank's published signing and encryption certificates are SM2 and distinct
    Then the bank's published signing and encryption certificates hold distinct SM2 keys

  @JR0185-7.3.4/3 @JR0185-9.2.2/1
  Scenario: After a bank key rotation answers carry the new serial and earlier answers still verify
    Given an A1 app
    When the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200
    And the answer carries the app's MAC
    When the operator rotates the bank's signing key
    And the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200
    And the answer is signed by the bank's new key
    And the first answer still verifies against the published signing certificates
