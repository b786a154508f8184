@A2
Feature: The partner keeps signing and encryption apart and decrypts read-only A2 data sent to its own key
  JR/T 0185-2020 7.3.4 1）加密和签名宜分配不同的密钥，且相互分离。
  7.2.2 3）c）对于金融产品持有份额……等A2类只读信息查询……应采取加密等措施保证查询信息的完整性与保密性，查询结果在应用方本地不得保存。

  Background:
    Given the partner under test, onboarded at the bank

  @JR0185-7.3.4/1
  Scenario: The partner registers different SM2 keys for signing and for encryption
    Then the partner's signing and encryption public keys differ

  @JR0185-7.2.2/3c @JR0185-7.3.4/1
  Scenario: The partner decrypts the holdings the bank sealed to its key, afresh each time, and keeps them out of its log
    Given the partner has linked "zhangsan"'s accounts for "accounts:read holdings:read"
    When the partner is asked for the user's holdings
    Then the partner answered with the holdings the bank holds for the user
    When the partner is asked for the user's holdings
    Then the partner answered with the holdings the bank holds for the user
    And the bank answered the partner "a2.holdings.list" 2 times
    And the partner's log holds none of the user's holdings
