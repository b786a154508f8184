@A1
Feature: Partners register with identity materials that the bank checks, and wait for approval
  JR/T 0185-2020 9.1.2: 应用方应按照商业银行要求，提交必要的身份核验资料，包括运营资质、法人信息材料、主要应用开发人员的个人信息身份材料等。
    应对应用方提交资料的有效性、完整性、真实性进行审核，对应用方身份进行合规性核验。

  Self-service registration at POST /partners/v1/registrations (no credentials): the
  organisation with its unified social credit code (GB 32100-2015) and operating
  qualification, the legal representative and the main developers with ID numbers
  (GB 11643-1999), and the app. The harness makes its own valid and invalid codes.

  @JR0185-9.1.2/2
  Scenario: A newly registered App_ID can call nothing until the bank approves it
    Given a partner registers an A1 app with complete identity materials
    Then the bank keeps the materials for review, ID numbers masked
    When the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 403 "APP_PENDING_REVIEW"
    When the operator approves the app
    And the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200

  @JR0185-9.1.2/2
  Scenario: A registration with a wrong unified social credit code check character is refused
    When a partner submits a registration whose unified social credit code has a wrong check character
    Then the bank answers 400 "PARAMETER_INVALID"
    And the problem's detail names "unified_social_credit_code"
    And the bank registered no app for that submission

  @JR0185-9.1.2/2
  Scenario: A registration without the legal representative's ID number is refused
    When a partner submits a registration whose legal representative has no ID number
    Then the bank answers 400 "PARAMETER_INVALID"
    And the problem's detail names "legal_representative.id_number"
    And the bank registered no app for that submission

  @JR0185-9.1.2/2
  Scenario: A registration without the main developers' identity materials is refused
    When a partner submits a registration whose developers are missing
    Then the bank answers 400 "PARAMETER_INVALID"
    And the problem's detail names "developers"
    And the bank registered no app for that submission

  # issue 13 item 4: the keys a partner submits with its registration
  @A2 @JR0185-9.2.1/a1 @JR0185-7.3.4/1 @JR0185-9.1.2/2
  Scenario: A partner registering with a certificate request and SM2 keys calls with the certificates the bank issues
    Given a partner registers an A2 app with a client certificate request and SM2 signing and encryption public keys
    Then the bank certifies each submitted key for the App_ID: the request's key for client authentication, the SM2 keys as SM2 certificates
    When the operator approves the app
    And "zhangsan" has consented to the app for "accounts:read"
    And the app calls "GET /a2/v1/accounts" for "zhangsan"
    Then the bank answers 200
    And the answer is signed by the bank

  @JR0185-9.1.2/2 @JR0185-7.2.2/1
  Scenario: A registration whose certificate request is signed with an algorithm that does not fit its key is refused
    When a partner submits a registration whose client certificate request is signed with an algorithm that does not fit its key
    Then the bank answers 400 "PARAMETER_INVALID"
    And the problem's detail names "client_csr"
    And the bank registered no app for that submission
