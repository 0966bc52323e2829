RSpec.describe Payments do
  before { Stripe.api_key = "{{STRIPE_TEST}}" }

  it "charges" do
    expect(Payments.charge(100)).to be_paid
  end
end
