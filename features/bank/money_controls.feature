@A2
Feature: Account data and money are guarded on every interface, at the boundaries of each control
  JR/T 0185-2020 7.2.2 3) 2): 若确需使用商业银行应用程序接口将账号、卡号、姓名向应用方进行反馈，应脱敏或去标识化处理……
  JR/T 0185-2020 9.3.1 2): 商业银行应对应用方上送的用户相关信息进行核验。
  JR/T 0185-2020 9.3.2 a) 1): 商业银行应按应用方、应用唯一标识App_ID、接口、用户等维度，依据最小授权原则进行授权，对于未授权的资源禁止访问；
  JR/T 0185-2020 9.3.2 a) 3): 商业银行应对API的调用有效期进行控制（如单次有效、阶段性有效、协议期限内有效）。
  JR/T 0185-2020 10.2.2 b): 账户查询、资金交易、金融产品及服务申请类交易，应充分识别交易是否由用户本人发起（或本人授权发起），核实用户本人意愿。

  Each scenario judges one control of features/bank/controls.yaml on every interface of
  the bank's published catalogue it guards (and the bank pages it names), against the
  windows and masking rules the bank publishes in /docs/limits.json and the test users'
  real numbers from the sandbox's test-data control — values, not presence.

  @JR0185-7.2.2/3b
  Scenario: Every account-data answer and bank page shows numbers and names only masked, to the right digits
    Then the bank enforces "ANSWER-MASKED" on every surface it guards

  @JR0185-9.3.2/1a @JR0185-9.3.1/2 @JR0185-10.2.2/2
  Scenario: Every user interface refuses another user's account and an own account outside the consent alike, on every page
    Then the bank enforces "ACCOUNT-SCOPED" on every surface it guards

  @JR0185-9.3.2/1c
  Scenario: A payment consent pays once and a second payment under a new Idempotency-Key is refused
    Then the bank enforces "CONSENT-SINGLE-USE" on every surface it guards

  @JR0185-9.3.2/1c
  Scenario: Every account interface admits a consent until its validity ends and refuses it a second after
    Then the bank enforces "CONSENT-VALIDITY" on every surface it guards

  @JR0185-10.2.2/2 @JR0185-9.3.2/1a
  Scenario: An Idempotency-Key belongs to its App_ID and two apps using one key make two payments
    Then the bank enforces "IDEMPOTENCY-PER-APP" on every surface it guards

  @JR0185-10.2.2/2 @JR0185-9.3.1/2
  Scenario: A payment is executed only on the consented debit account, amount, currency, payee account and payee name
    Then the bank enforces "PAYMENT-TERMS-BOUND" on every surface it guards
